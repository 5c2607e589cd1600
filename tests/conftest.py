"""Shared fixtures: one user per role, and a real qcluster subprocess for end-to-end tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django.conf import settings
from django.contrib.auth.models import Group

from tests.processes import stop_process_group
from tests.two_factor_support import add_totp_device, patch_test_client_logins
from workflows import roles

BASE_DIR = Path(settings.BASE_DIR)
ROLE_USERNAMES = {
    roles.COMMUNICATIONS: "comms",
    roles.INSPECTOR: "inspector",
    roles.RESPONSIBLE_UNIT: "unit",
    roles.LEADERSHIP: "leader",
    roles.ADMINISTRATOR: "admin",
}
TEST_PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(items):
    """Transactional tests restore the migrated data (page tree, groups, seeded categories).

    A TransactionTestCase empties every table when it ends; without serialized rollback the next
    test would find no root page, no role permissions and none of the reference data that data
    migrations create.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        uses_transactions = "transactional_db" in getattr(item, "fixturenames", ()) or (
            marker is not None and marker.kwargs.get("transaction")
        )
        if uses_transactions:
            kwargs = dict(marker.kwargs) if marker else {}
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Let every connection wrapper restore the serialized reference data.

    Django keeps the serialized data on the connection wrapper it created the test database with.
    Once Playwright's sync API runs an event loop, asgiref hands the test a different wrapper for
    the same alias, which would have none: transactional tests would then start from an empty
    database. Putting it on the wrapper class makes it visible from every context.
    """
    from django.db import connections

    for connection in connections.all():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is not None:
            type(connection)._test_serialized_contents = contents
    yield


@pytest.fixture
def make_user(django_user_model):
    """Create a user in one role's group (the administrator is also a superuser)."""

    def make(role_key, username=None, **extra):
        username = username or ROLE_USERNAMES[role_key]
        is_admin = role_key == roles.ADMINISTRATOR
        user = django_user_model.objects.create_user(
            username=username,
            password=TEST_PASSWORD,
            email=f"{username}@example.org",
            is_superuser=is_admin,
            is_staff=is_admin,
            **extra,
        )
        user.groups.add(Group.objects.get(name=roles.group_name(role_key)))
        if is_admin or roles.ROLES_BY_KEY[role_key].requires_second_factor:
            # A second factor is mandatory for these roles: give them a real, confirmed TOTP device.
            add_totp_device(user)
        return user

    return make


@pytest.fixture
def users(db, make_user):
    """One user per role, keyed by role key."""
    return {role_key: make_user(role_key) for role_key in ROLE_USERNAMES}


def _cluster_env():
    """Environment for a subprocess that must use this test run's database and heartbeat cache."""
    from django.db import connection

    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    env["PRIVATE_MEDIA_ROOT"] = str(settings.PRIVATE_MEDIA_ROOT)
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
        env["QCLUSTER_CACHE_DIR"] = settings.CACHES["qcluster"]["LOCATION"]
    else:
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}"
        )
    return env


@pytest.fixture
def qcluster(transactional_db):
    """Start a real `manage.py qcluster` on the test database; yields a handle to wait or kill it.

    The test must use committed data (transactional_db), since the cluster is another process.
    """
    from workflows.health import cluster_state

    class Cluster:
        def __init__(self):
            self.process = None
            self.log_path = BASE_DIR / "var" / f"qcluster-{os.getpid()}.log"
            # The log file is shared by the session's clusters: this test reads from here on.
            self.log_start = self.log_path.stat().st_size if self.log_path.exists() else 0

        def start(self, **env_overrides):
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            env = _cluster_env()
            env.update({key: str(value) for key, value in env_overrides.items()})
            self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=BASE_DIR,
                env=env,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.wait_until(lambda: cluster_state()["ok"], timeout=60, what="qcluster heartbeat")
            return self

        def wait_until(self, condition, timeout=30, what="condition"):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if condition():
                    return
                if self.process and self.process.poll() is not None:
                    raise AssertionError(f"qcluster exited early; log:\n{self.read_log()[-4000:]}")
                time.sleep(0.2)
            raise AssertionError(f"timed out waiting for {what}; qcluster log:\n{self.read_log()[-4000:]}")

        def read_log(self):
            # The whole log: a line searched for may lie before the schedules' chatter.
            if not self.log_path.exists():
                return ""
            with self.log_path.open("rb") as log:
                log.seek(self.log_start)
                return log.read().decode(errors="replace")

        def stop(self, sig=signal.SIGTERM):
            stop_process_group(self.process, sig)
            if self.process:
                self.log.close()
            self.process = None

    cluster = Cluster()
    yield cluster
    cluster.stop()


class TaskQueue:
    """The queue as the configured django-q2 broker sees it: ORM (embedded) or Redis (scale-out)."""

    def __init__(self):
        from django_q.brokers import get_broker

        self.broker = get_broker()
        self.is_redis = bool(settings.REDIS_URL)

    def size(self):
        """Queued tasks, including ones a worker has taken but not yet acknowledged (ORM)."""
        if self.is_redis:
            return self.broker.queue_size()
        from django_q.models import OrmQ

        return OrmQ.objects.filter(key=self.broker.list_key).count()

    def purge(self):
        """Drop every queued task, as a broker that lost its messages would."""
        self.broker.purge_queue()

    def funcs(self):
        """Dotted names of the queued tasks' functions."""
        return [task["func"] for task in self.tasks()]

    def tasks(self):
        """The queued task packages (dicts with func, args, kwargs, ...)."""
        from django_q.signing import SignedPackage

        if self.is_redis:
            packages = self.broker.connection.lrange(self.broker.list_key, 0, -1)
        else:
            from django_q.models import OrmQ

            packages = OrmQ.objects.filter(key=self.broker.list_key).values_list("payload", flat=True)
        return [SignedPackage.loads(package) for package in packages]


@pytest.fixture
def task_queue():
    return TaskQueue()


@pytest.fixture(autouse=True)
def _test_client_logins_pass_the_second_factor(monkeypatch):
    """client.force_login/login mark the session OTP-verified with the user's real device."""
    patch_test_client_logins(monkeypatch)


@pytest.fixture(autouse=True)
def _fresh_caches_and_redis_queue():
    """Redis outlives a test (and a test run): start each test with empty caches and queue.

    With the ORM broker and local-memory cache, the rollback and a new process already do this.
    """
    from django.core.cache import caches

    for alias in settings.CACHES:
        if alias != "qcluster":
            caches[alias].clear()
    if settings.REDIS_URL:
        TaskQueue().purge()
    yield
