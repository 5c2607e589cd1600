"""Measurement 8: the dashboard with 100,000 issues and 100,000 ledger rows against an empty one.

/admin/dashboard/ rendered for a leader: empty database, then (bulk-filled) full database
- with a cold cache after the refresh the cluster runs once an import or a sweep has finished
  (`workflows.dashboard.tasks.refresh_dashboard`): the render reads the materialised snapshot (the
  target, ≤ 3x empty);
- with nothing stored at all (cache and snapshots empty: every figure computed), reported, with the
  refresh task's own time;
- with a warm cache, reported.
`BENCH_PROFILE=1` also writes a cProfile of one cold render (materialised figures) to
var/bench/dashboard.prof.
"""

import datetime as dt
import os

from tests.bench import data
from tests.bench.core import BASE_DIR, client_for, count_queries, info, ratio_at_most, user_with_role

TARGET = 3.0
URL = "/admin/dashboard/"


def measure(ctx):
    from workflows import roles
    from workflows.dashboard import cache, tasks
    from workflows.models import DashboardSnapshot

    leader = user_with_role(roles.LEADERSHIP, "bench-leader")
    client = client_for(leader)

    def render():
        response = client.get(URL)
        assert response.status_code == 200, response.status_code

    def cold():
        cache._cache().clear()

    def nothing_stored():
        cache._cache().clear()
        DashboardSnapshot.objects.all().delete()

    render()  # warm up templates, URL conf and hooks
    empty = ctx.median(render, before=lambda _i: nothing_stored())
    nothing_stored()
    _r, _s, empty_queries = count_queries(render)

    today = dt.date.today()
    institution_list = data.institutions(200)
    visit_list = data.visits(ctx.rng, institution_list, today)
    data.issues(ctx.rng, ctx.rows, institution_list=institution_list, today=today, visit_list=visit_list)
    data.workflow_history(today)
    data.ledger(ctx.rng, ctx.rows, today=today, institution_list=institution_list)

    computed = ctx.median(render, before=lambda _i: nothing_stored())
    nothing_stored()
    _r, _s, computed_queries = count_queries(render)
    refresh = ctx.median(tasks.refresh_dashboard, before=lambda _i: nothing_stored())
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
            f"8 dashboard, {size}, cold cache (materialised figures) / empty",
            full_cold,
            empty,
            TARGET,
            note=f"{full_queries} queries (empty: {empty_queries})",
        ),
        info(
            f"8 dashboard, {size}, nothing stored (every figure computed)",
            computed,
            "s",
            baseline=empty,
            note=f"{computed_queries} queries",
        ),
        info(f"8 dashboard, {size}, refresh task (both languages)", refresh, "s"),
        info(f"8 dashboard, {size}, warm cache", full_warm, "s", baseline=empty),
    ]
