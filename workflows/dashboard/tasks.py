"""Refreshing the dashboard's materialised figures from the task cluster.

`refresh_dashboard` recomputes the figures shared by everyone who sees everything, in every
language of the site, and stores them (snapshot and cache) under the current data version, so the
next leader's page reads a few small rows. It runs after the tasks that change the figures
(`signals.REFRESHING_TASKS`, through django-q2's post_execute signal) when the stored figures are
not current any more, and every morning (`workflows.schedules`: a new day changes what is overdue).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from workflows.dashboard import cache, queries, snapshots

DEBOUNCE_KEY = "dashboard:refresh-running"
# At most one refresh per this many seconds in the monitor process, however many data tasks finish
# (a bulk job of 300 moves); a change after it is picked up by the next data task to finish (the
# overdue sweep runs every 15 minutes) and, until then, the page computes the figures itself.
DEBOUNCE_SECONDS = 30

FIGURES = (("inspections", queries.inspection_figures), ("donations", queries.donation_figures))


def _shared_scope():
    user = get_user_model()(is_superuser=True, is_active=True)  # unsaved: only its role keys are used
    return queries.DashboardScope.for_user(user)


def refresh_if_due():
    """Refresh unless the stored figures are current or a refresh has just started; True if it ran."""
    scope = _shared_scope()
    with translation.override(settings.LANGUAGE_CODE):
        if all(cache.is_current(scope, name) for name, _compute in FIGURES):
            return False
    if not cache._cache().add(DEBOUNCE_KEY, 1, DEBOUNCE_SECONDS):
        return False
    refresh_dashboard()
    return True


def refresh_dashboard():
    """Recompute the figures everybody who sees everything shares, in every language, and store
    them; drop the snapshots of days past the kept window."""
    scope = _shared_scope()
    # Read before computing: a change committed meanwhile makes these figures stale, never "current".
    version = cache.version(scope)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for name, compute in FIGURES:
                cache.store(scope, name, compute(scope))
    pruned = snapshots.prune(timezone.localdate())
    return {"version": version, "scope": scope.key, "pruned": pruned}
