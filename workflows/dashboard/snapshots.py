"""Materialised dashboard figures: a cold render reads a few small rows instead of aggregating
100,000 issues and ledger rows.

Each snapshot holds the figures of one scope (`MATERIALISED_SCOPES`), day and language exactly as
`.queries` computed them, under the data version they were computed at (`.cache.data_stamp`: the
change counter plus the highest ids of the append-mostly tables). A snapshot is served only while
that version is the current one, so a figure is never older than the data; otherwise the page
computes the figures itself until the next refresh. `.tasks.refresh_dashboard` (django-q2: after
the tasks that change the data, and every morning) writes them; pages only read them.

What bumps the counter (`figures_changed`, through `.cache.invalidate`): the save/delete signals of
the watched models (`.signals`) and the services that write with `update()` (the visit's
completion), after their commit.
The transition service and the sweeps also insert rows, which the id stamp sees.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import translation

from workflows.models import DashboardSnapshot, DataVersion

# The scopes the refresh task materialises: everything (leadership, inspectors, administrators).
# A unit's figures are small aggregates over its few institutions, cached but not materialised.
MATERIALISED_SCOPES = ("all",)
# Snapshots of past days are kept this long (an audit of "what did the dashboard say"), then pruned.
KEEP_DAYS = 7

logger = logging.getLogger(__name__)


def figures_changed():
    """Make every snapshot stale: one UPDATE (creating the counter row on a new database)."""
    if not DataVersion.objects.filter(pk=1).update(counter=F("counter") + 1):
        try:
            with transaction.atomic():
                DataVersion.objects.create(pk=1, counter=1)
        except IntegrityError:  # created meanwhile by another process
            DataVersion.objects.filter(pk=1).update(counter=F("counter") + 1)


def language():
    """The active language: the figures' labels are translated, so each language has its own copy
    (in the cache and in the snapshots)."""
    return translation.get_language() or settings.LANGUAGE_CODE


def is_materialised(scope):
    return scope.key in MATERIALISED_SCOPES


def _current(scope, name, version):
    return DashboardSnapshot.objects.filter(
        scope_key=scope.key, day=scope.today, language=language(), name=name, version=version
    )


def read(scope, name, version):
    """The stored figures if they were computed at `version`, else None: one query."""
    return _current(scope, name, version).values_list("figures", flat=True).first()


def is_current(scope, name, version):
    return _current(scope, name, version).exists()


def write(scope, name, version, figures):
    """Store the figures; a failed write (two processes at once, a locked database) only costs the
    next reader a computation, so it is logged, not raised."""
    try:
        with transaction.atomic():
            DashboardSnapshot.objects.update_or_create(
                scope_key=scope.key,
                day=scope.today,
                language=language(),
                name=name,
                defaults={"version": version, "figures": figures},
            )
    except DatabaseError:
        logger.warning("Dashboard snapshot %s/%s not stored", scope.key, name, exc_info=True)


def prune(today):
    """Drop the snapshots of days before the kept window; returns how many."""
    past = DashboardSnapshot.objects.filter(day__lt=today - dt.timedelta(days=KEEP_DAYS))
    deleted, _by_model = past.delete()
    return deleted
