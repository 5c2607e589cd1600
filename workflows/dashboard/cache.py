"""Cached dashboard figures, shared by every web and task process.

The figures are cached per scope (everything, or one responsible unit's institutions) and per day,
under a generation number. The code that changes the data bumps the generation and queues
`workflows.dashboard.tasks.refresh_dashboard`, which recomputes the shared "everything" figures in
the background so the next leader's page is served from the cache: see `signals.py` for the models
whose saves trigger it. The cache is the cross-process one: the file-based "qcluster" cache of the
embedded default (local memory would be invisible to the task cluster) or Redis when configured.
A TTL bounds staleness for changes made without signals (bulk updates).
"""

from django.conf import settings
from django.core.cache import caches

GENERATION_KEY = "dashboard:generation"
TTL = 300


def _cache():
    return caches["qcluster"] if "qcluster" in settings.CACHES else caches["default"]


def generation():
    value = _cache().get(GENERATION_KEY)
    if value is None:
        value = 1
        _cache().add(GENERATION_KEY, value, None)
    return value


def invalidate():
    """Make every cached figure stale (cheap; called after commits that change the data)."""
    cache = _cache()
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, None)


def _key(scope, name):
    return f"dashboard:{generation()}:{scope.key}:{scope.today.isoformat()}:{name}"


def cached(scope, name, compute):
    key = _key(scope, name)
    cache = _cache()
    value = cache.get(key)
    if value is None:
        value = compute(scope)
        cache.set(key, value, TTL)
    return value


def store(scope, name, value):
    _cache().set(_key(scope, name), value, TTL)
