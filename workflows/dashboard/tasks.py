"""Refreshing the dashboard cache from the task cluster.

`refresh_dashboard` recomputes the figures shared by everyone who sees everything and stores them
under the current data stamp, so the next leader's page is a cache read. It runs after the tasks
that change the figures (`signals.REFRESHING_TASKS`, through django-q2's post_execute signal), at
most once per DEBOUNCE_SECONDS however many of them finish; it is also a plain task function that
a schedule can name.
"""

from django.contrib.auth import get_user_model

from workflows.dashboard import cache, queries

DEBOUNCE_KEY = "dashboard:refresh-running"
DEBOUNCE_SECONDS = 30


def refresh_if_due():
    """Refresh unless another refresh started within DEBOUNCE_SECONDS; True if it ran."""
    if not cache._cache().add(DEBOUNCE_KEY, 1, DEBOUNCE_SECONDS):
        return False
    refresh_dashboard()
    return True


def refresh_dashboard():
    """Recompute the figures everybody who sees everything shares, and store them in the cache."""
    user = get_user_model()(is_superuser=True, is_active=True)  # unsaved: only its role keys are used
    scope = queries.DashboardScope.for_user(user)
    cache.store(scope, "inspections", queries.inspection_figures(scope))
    cache.store(scope, "donations", queries.donation_figures(scope))
    return {"generation": cache.generation(), "scope": scope.key}
