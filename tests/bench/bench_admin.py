"""Measurement 9: the admin listings of issues and ledger rows, 100 rows per page.

For each listing: SQL queries at 1,000 and at 50,000 records (identical, ≤ 15); the server time of
the 50,000-record listing against a bare Django view rendering a 50-row table (≤ 4x); and the time
the database spends in the listing's COUNT queries at 50,000 records (reported).
"""

import datetime as dt
import os
import sys

from tests.bench import data
from tests.bench.core import BASE_DIR, client_for, equal_to, info, ratio_at_most, user_with_role

MAX_QUERIES = 15
TIME_TARGET = 4.0
FRAME_URL = "/bench/admin-frame/"
LISTINGS = {
    "issues": ("/admin/snippets/snippets/issue/", "/bench/table/issue/"),
    "ledger": ("/admin/ledger_entries/", "/bench/table/ledger/"),
}


def _get(client, url):
    def call():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return call


def _capture(call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return captured.captured_queries


def _execute(statements):
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()


def measure(ctx):
    from workflows import roles

    today = dt.date(2026, 11, 27)
    small, large = ctx.scaled(1000, minimum=50), ctx.scaled(50_000, minimum=200)
    admin = user_with_role(roles.LEADERSHIP)
    client = client_for(admin)
    institution_list = data.institutions(ctx.scaled(200, minimum=20))
    # Visits too: the issues listing's filter offers every visit the user may see.
    visit_list = data.visits(ctx.rng, institution_list, today, answers_per_visit=0)

    counts = {}

    def fill(size, start):
        data.issues(
            ctx.rng,
            size - start,
            institution_list=institution_list,
            today=today,
            start=start,
            visit_list=visit_list,
        )
        data.ledger(ctx.rng, size - start, today=today, institution_list=institution_list, start=start)

    fill(small, 0)
    for name, (url, _bare) in LISTINGS.items():
        _get(client, url)()  # warm up
        counts[name] = len(_capture(_get(client, url)))
    fill(large, small)

    results = []
    for name, (url, bare_url) in LISTINGS.items():
        queries = _capture(_get(client, url))
        if os.environ.get("BENCH_ADMIN_QUERIES"):
            # Debugging aid: the listing's SQL, one statement a line, on stderr.
            for query in queries:
                print(f"[{name}] {query['sql'][:300]}", file=sys.stderr)
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx(
                "call()",
                {"call": _get(client, url)},
                {},
                str(BASE_DIR / "var" / "bench" / f"admin-{name}.prof"),
            )
        results.append(
            equal_to(
                f"9 admin {name} listing queries",
                len(queries),
                counts[name],
                limit=MAX_QUERIES,
                note=f"{small:,} vs {large:,} records (value: large)",
            )
        )
        _get(client, bare_url)()
        ours, bare = ctx.side_by_side(_get(client, url), _get(client, bare_url))
        results.append(
            ratio_at_most(
                f"9 admin {name} listing, {large:,} records / bare 50-row table",
                ours,
                bare,
                TIME_TARGET,
            )
        )
        count_sql = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        count_seconds = ctx.median(lambda sql=count_sql: _execute(sql))
        results.append(
            info(
                f"9 admin {name} listing: COUNT queries at {large:,}",
                count_seconds,
                "s",
                note=f"{len(count_sql)} COUNT queries of one request, run again on their own",
            )
        )
    _get(client, FRAME_URL)()
    frame, bare = ctx.side_by_side(_get(client, FRAME_URL), _get(client, LISTINGS["issues"][1]))
    results.append(
        info(
            "9 admin frame alone (Wagtail's empty admin page) / bare 50-row table",
            frame,
            "s",
            baseline=bare,
            note=f"the sidebar, slim header and breadcrumbs with no content; at {TIME_TARGET:g}x the "
            f"listings would have {max(0.0, TIME_TARGET * bare - frame) * 1000:.1f} ms left for "
            "their rows, filters, search and pagination",
        )
    )
    return results
