"""The dashboard's materialised figures: what a cold render reads instead of aggregating the data.

`DashboardSnapshot` keeps the figures of one scope, day and language exactly as
`workflows.dashboard.queries` computed them, stamped with the data version they were computed at;
`DataVersion` is the counter that, together with the highest ids of the append-mostly tables, makes
that version. Written and read only by `workflows.dashboard.snapshots`.
"""

import datetime as dt
import json
from decimal import Decimal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class FiguresEncoder(json.JSONEncoder):
    """JSON keeping the types the figures use (Decimal ratios and sums, dates), so a figure read
    back compares equal to the one computed."""

    def default(self, o):
        if isinstance(o, Decimal):
            return {"$decimal": str(o)}
        if isinstance(o, dt.datetime):
            return {"$datetime": o.isoformat()}
        if isinstance(o, dt.date):
            return {"$date": o.isoformat()}
        if isinstance(o, Promise):
            return str(o)
        return super().default(o)


def _decode_object(value):
    if len(value) == 1:
        ((tag, text),) = value.items()
        if tag == "$decimal":
            return Decimal(text)
        if tag == "$date":
            return dt.date.fromisoformat(text)
        if tag == "$datetime":
            return dt.datetime.fromisoformat(text)
    return value


class FiguresDecoder(json.JSONDecoder):
    def __init__(self, *args, **kwargs):
        kwargs["object_hook"] = _decode_object
        super().__init__(*args, **kwargs)


class DataVersion(models.Model):
    """One row: bumped after every commit that changes what the dashboard counts (signals and the
    services that write with `update()`); row inserts are also seen by the id stamp."""

    counter = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("统计数据版本")
        verbose_name_plural = _("统计数据版本")

    def __str__(self):
        return str(self.counter)


class DashboardSnapshot(models.Model):
    scope_key = models.CharField(max_length=64)
    day = models.DateField()
    language = models.CharField(max_length=16)
    name = models.CharField(max_length=32)
    # `DataVersion.counter` and the id stamp when the figures were computed; a snapshot whose
    # version is not the current one is never served.
    version = models.CharField(max_length=200)
    figures = models.JSONField(encoder=FiguresEncoder, decoder=FiguresDecoder)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("看板统计快照")
        verbose_name_plural = _("看板统计快照")
        constraints = [
            models.UniqueConstraint(
                fields=["scope_key", "day", "language", "name"], name="workflows_snapshot_once_per_scope"
            ),
        ]

    def __str__(self):
        return f"{self.scope_key} {self.day} {self.language} {self.name}"
