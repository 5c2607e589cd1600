"""Measurement 8: the dashboard with 100,000 issues and 100,000 ledger rows against an empty one.

/admin/dashboard/ rendered for a leader: empty database, then (bulk-filled) full database with a
cold cache (every figure computed: the target, ≤ 3x empty) and with a warm cache (reported).
`BENCH_PROFILE=1` also writes a cProfile of one cold render to var/bench/dashboard.prof.
"""

import datetime as dt
import os

from tests.bench import data
from tests.bench.core import BASE_DIR, client_for, count_queries, info, ratio_at_most, user_with_role

TARGET = 3.0
URL = "/admin/dashboard/"


def measure(ctx):
    from workflows import roles
    from workflows.dashboard import cache

    leader = user_with_role(roles.LEADERSHIP, "bench-leader")
    client = client_for(leader)

    def render():
        response = client.get(URL)
        assert response.status_code == 200, response.status_code

    def cold():
        cache._cache().clear()

    render()  # warm up templates, URL conf and hooks
    empty = ctx.median(render, before=lambda _i: cold())
    cold()
    _r, _s, empty_queries = count_queries(render)

    today = dt.date.today()
    institution_list = data.institutions(200)
    visit_list = data.visits(ctx.rng, institution_list, today)
    data.issues(ctx.rng, ctx.rows, institution_list=institution_list, today=today, visit_list=visit_list)
    data.workflow_history(today)
    data.ledger(ctx.rng, ctx.rows, today=today, institution_list=institution_list)

    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cold()
        target = BASE_DIR / "var" / "bench" / "dashboard.prof"
        cProfile.runctx("render()", globals(), {"render": render}, str(target))

    full_cold = ctx.median(render, before=lambda _i: cold())
    cold()
    _r, _s, full_queries = count_queries(render)
    full_warm = ctx.median(render)
    size = f"{ctx.rows:,} issues + {ctx.rows:,} ledger rows"
    return [
        ratio_at_most(
            f"8 dashboard, {size}, cold cache / empty",
            full_cold,
            empty,
            TARGET,
            note=f"{full_queries} queries (empty: {empty_queries})",
        ),
        info(f"8 dashboard, {size}, warm cache", full_warm, "s", baseline=empty),
    ]
