"""Cached dashboard figures, shared by every web and task process.

Two layers, both keyed by the data version (`data_stamp`), so neither can serve figures older than
the data:
- the cross-process cache (the file-based "qcluster" cache of the embedded default, or Redis), a
  read with no query;
- under it, the materialised snapshots in the database (`.snapshots`) of the figures everybody
  who sees everything shares, which survive a cleared or restarted cache and which
  `.tasks.refresh_dashboard` rewrites after the tasks that change the data.
Only when both miss are the figures computed (`.queries`) and cached.

The data version is one query of index look-ups: the change counter that the signals and the
services bump after each commit (`invalidate`), and the highest ids of the tables that only grow
(issues, the transition log, escalations, ledger entries), which catches bulk inserts that send no
signals (the overdue sweep's and the ledger import's `bulk_create`).
"""

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import connection

from workflows.dashboard import snapshots

STAMPED_MODELS = ("snippets.Issue", "workflows.StageTransition", "workflows.Escalation", "ledger.LedgerEntry")

# The cache layer's own bound; the snapshot under it is checked against the version on every miss.
TTL = 300


def _cache():
    return caches["qcluster"] if "qcluster" in settings.CACHES else caches["default"]


def invalidate():
    """Make every cached and materialised figure stale (called after commits that change the data)."""
    snapshots.figures_changed()


def data_stamp():
    """The change counter and the highest ids of the append-mostly tables: one query, each part an
    index look-up."""
    from workflows.models import DataVersion

    quote = connection.ops.quote_name
    parts = [f"(SELECT MAX({quote('counter')}) FROM {quote(DataVersion._meta.db_table)})"]  # noqa: S608
    for label in STAMPED_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        table = quote(model._meta.db_table)
        column = quote(model._meta.pk.column)
        parts.append(f"(SELECT MAX({column}) FROM {table})")  # noqa: S608 - names from model metadata
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return "-".join(str(value or 0) for value in cursor.fetchone())


def version(scope):
    """The data version, read once per scope object (one request, one task run)."""
    stamp = getattr(scope, "_data_stamp", None)
    if stamp is None:
        stamp = scope._data_stamp = data_stamp()
    return stamp


def _key(scope, name):
    return f"dashboard:{version(scope)}:{scope.key}:{scope.today.isoformat()}:{snapshots.language()}:{name}"


def cached(scope, name, compute):
    """The figures from the cache, else from a current snapshot, else computed (and cached).

    A page never writes a snapshot: on the embedded SQLite a write would wait behind a running
    import's write lock, where a read runs beside it. The refresh task writes them."""
    key = _key(scope, name)
    cache = _cache()
    value = cache.get(key)
    if value is None:
        if snapshots.is_materialised(scope):
            value = snapshots.read(scope, name, version(scope))
        if value is None:
            value = compute(scope)
        cache.set(key, value, TTL)
    return value


def store(scope, name, value):
    snapshots.write(scope, name, version(scope), value)
    _cache().set(_key(scope, name), value, TTL)


def is_current(scope, name):
    """True if the materialised figures of this scope, day and language are at the data's version."""
    return snapshots.is_current(scope, name, version(scope))
