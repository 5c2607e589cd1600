"""Cached dashboard figures, shared by every web and task process.

The figures are cached per scope (everything, or one responsible unit's institutions) and per day,
under a generation number. The code that changes the data bumps the generation and queues
`workflows.dashboard.tasks.refresh_dashboard`, which recomputes the shared "everything" figures in
the background so the next leader's page is served from the cache: see `signals.py` for the models
whose saves trigger it. The cache is the cross-process one: the file-based "qcluster" cache of the
embedded default (local memory would be invisible to the task cluster) or Redis when configured.

Bulk writes send no signals (the overdue sweep's and the ledger import's `bulk_create`), so the key
also carries a data stamp: the highest id of the tables that only grow (issues, the transition log,
escalations, ledger entries), read in one query of index look-ups. A TTL bounds what is left
(bulk `update()` of existing rows).
"""

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils import translation

STAMPED_MODELS = ("snippets.Issue", "workflows.StageTransition", "workflows.Escalation", "ledger.LedgerEntry")

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


def data_stamp():
    """Highest ids of the append-mostly tables: one query, each part a primary-key index look-up."""
    parts = []
    for label in STAMPED_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(model._meta.pk.column)
        parts.append(f"(SELECT MAX({column}) FROM {table})")  # noqa: S608 - names from model metadata
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return "-".join(str(value or 0) for value in cursor.fetchone())


def _key(scope, name):
    stamp = getattr(scope, "_data_stamp", None)
    if stamp is None:
        stamp = scope._data_stamp = data_stamp()
    # Labels inside the figures are translated: one entry per language.
    language = translation.get_language() or settings.LANGUAGE_CODE
    return f"dashboard:{generation()}:{stamp}:{scope.key}:{scope.today.isoformat()}:{language}:{name}"


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
