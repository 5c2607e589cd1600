"""Background refresh of the dashboard cache (django-q2 task, queued after commits that change data).

A burst of saves (a 100,000-row ledger import) queues one refresh, not one per row: a short-lived
cache flag debounces it.
"""

from django.contrib.auth import get_user_model

from workflows.dashboard import cache, queries

DEBOUNCE_KEY = "dashboard:refresh-queued"
DEBOUNCE_SECONDS = 30


def queue_refresh():
    if not cache._cache().add(DEBOUNCE_KEY, 1, DEBOUNCE_SECONDS):
        return False
    from django_q.tasks import async_task

    async_task("workflows.dashboard.tasks.refresh_dashboard")
    return True


def refresh_dashboard():
    """Recompute the figures everybody who sees everything shares, and store them in the cache."""
    cache._cache().delete(DEBOUNCE_KEY)
    User = get_user_model()
    user = User(is_superuser=True, is_active=True)  # unsaved: only its role keys are used
    scope = queries.DashboardScope.for_user(user)
    cache.store(scope, "inspections", queries.inspection_figures(scope))
    cache.store(scope, "donations", queries.donation_figures(scope))
    return {"generation": cache.generation(), "scope": scope.key}
