"""The benchmark harness's parts shared by every measurement module.

A measurement module exposes `measure(ctx) -> list[Result]` and is listed once in
`tests.bench.run.MODULES`. It runs in its own process on its own copy of a freshly migrated
database (so modules never see each other's data), with Django already set up. `ctx` gives the
scale (`ctx.rows`, 100,000 for a full run; `ctx.scaled(n)` scales any other size the same way), the
repeat count, a seeded random generator, side-by-side timing and query counting.
"""

import dataclasses
import random
import statistics
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
FULL_ROWS = 100_000


@dataclasses.dataclass
class Result:
    """One row of the table. With a baseline, the target applies to value/baseline; else to value."""

    figure: str
    value: float
    unit: str = "s"
    baseline: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self):
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    def as_dict(self):
        data = dataclasses.asdict(self)
        data["ratio"] = self.ratio
        return data


def ratio_at_most(figure, value, baseline, limit, unit="s", note=""):
    """value/baseline ≤ limit (a time against its bare baseline)."""
    result = Result(figure, value, unit, baseline, f"ratio ≤ {limit:g}", note=note)
    result.met = result.ratio is not None and result.ratio <= limit
    return result


def ratio_at_least(figure, value, baseline, limit, unit="/s", note=""):
    """value/baseline ≥ limit (a rate against its baseline)."""
    result = Result(figure, value, unit, baseline, f"ratio ≥ {limit:g}", note=note)
    result.met = result.ratio is not None and result.ratio >= limit
    return result


def at_most(figure, value, limit, unit="", note=""):
    return Result(figure, value, unit, None, f"≤ {limit:g} {unit}".strip(), value <= limit, note)


def equal_to(figure, value, baseline, unit="queries", limit=None, note=""):
    """value == baseline (queries at two sizes), and optionally value ≤ limit."""
    met = value == baseline and (limit is None or value <= limit)
    target = "same at both sizes" + (f", ≤ {limit:g}" if limit is not None else "")
    return Result(figure, value, unit, baseline, target, met, note)


def info(figure, value, unit="", baseline=None, note=""):
    """Reported, no target."""
    return Result(figure, value, unit, baseline, "", None, note)


class Context:
    def __init__(self, rows=FULL_ROWS, repeats=3, seed=2026, workdir=None):
        self.rows = rows
        self.repeats = repeats
        self.seed = seed
        self.rng = random.Random(seed)
        self.workdir = Path(workdir) if workdir else BASE_DIR / "var" / "bench"
        self.workdir.mkdir(parents=True, exist_ok=True)

    @property
    def full(self):
        return self.rows >= FULL_ROWS

    def scaled(self, n, minimum=1):
        """`n` at full scale, scaled down in proportion to --rows."""
        return max(minimum, n * self.rows // FULL_ROWS)

    @property
    def vendor(self):
        from django.db import connection

        return connection.vendor

    def side_by_side(self, func, baseline, repeats=None, before=None):
        """Median seconds of `func` and of `baseline`, run alternately (func, baseline, func, ...)
        so that a noisy neighbour slows both alike. `before(i)` runs untimed before each pair."""
        ours, bare = [], []
        for index in range(repeats or self.repeats):
            if before is not None:
                before(index)
            ours.append(timed(func))
            bare.append(timed(baseline))
        return statistics.median(ours), statistics.median(bare)

    def median(self, func, repeats=None, before=None):
        times = []
        for index in range(repeats or self.repeats):
            if before is not None:
                before(index)
            times.append(timed(func))
        return statistics.median(times)


def timed(func):
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def count_queries(func):
    """(result, seconds, number of SQL queries) of one call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
    return result, elapsed, len(captured.captured_queries)


def user_with_role(role_key, username=None, superuser=False):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from workflows import roles

    User = get_user_model()
    user = User.objects.create_user(username or f"bench-{role_key}", email=f"{role_key}@example.org")
    if superuser:
        user.is_superuser = True
        user.is_staff = True
        user.save()
    user.groups.add(Group.objects.get(name=roles.group_name(role_key)))
    if superuser or roles.ROLES_BY_KEY[role_key].requires_second_factor:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)
    return user


def client_for(user):
    """A test client logged in as `user`, its session verified with the user's second factor (as
    `django_otp.login` leaves it after a code was accepted)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from django.test import Client

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
