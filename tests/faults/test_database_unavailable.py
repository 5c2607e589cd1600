"""The database unavailable for a moment (issue #9, RELIABILITY item 18): a live gunicorn answers
every request with the 503 page (not a traceback, not a 500), /healthz says the database check
failed, and both recover by themselves when the database is back.

PostgreSQL: gunicorn reaches the database through a TCP proxy the test stops (open connections are
cut, new ones refused) and starts again. SQLite: gunicorn opens the database file through a
directory symlink the test removes (the file "unmounted") and puts back.
"""

from pathlib import Path

import pytest

from django.db import InterfaceError, OperationalError, connection
from django.test import RequestFactory

from cms.middleware import server_error
from tests.faults.support import LiveServer, TcpProxy

MESSAGE = "数据库暂时不可用"


class DatabaseSwitch:
    """Makes the test database unreachable for a server started with `env`, and reachable again."""

    def __init__(self, tmp_path):
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            self.proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).start()
            self.env = {
                "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{self.proxy.port}/"
                f"{db['NAME']}"
            }
        else:
            self.proxy = None
            name = Path(db["NAME"])
            self.link = tmp_path / "mounted"
            self.target = name.parent
            self.link.symlink_to(self.target, target_is_directory=True)
            self.env = {"DATABASE_URL": f"sqlite:///{self.link / name.name}"}

    def down(self):
        if self.proxy:
            self.proxy.stop()
        else:
            self.link.unlink()

    def up(self):
        if self.proxy:
            self.proxy.start()
        else:
            self.link.symlink_to(self.target, target_is_directory=True)

    def close(self):
        if self.proxy:
            self.proxy.stop()


@pytest.fixture
def switch(tmp_path):
    db = DatabaseSwitch(tmp_path)
    yield db
    db.close()


@pytest.fixture
def server(transactional_db, switch, tmp_path):
    live = LiveServer(tmp_path / "gunicorn.log", **switch.env).start()
    yield live
    live.stop()


def assert_friendly_503(status, body):
    assert status == 503, body[:2000]
    assert MESSAGE in body
    assert "Traceback" not in body and "OperationalError" not in body


@pytest.mark.cluster
def test_requests_get_a_503_page_and_healthz_says_the_database_is_down_until_it_is_back(server, switch):
    pages = ["/", "/admin/login/", "/api/v2/pages/"]
    before = {path: server.get(path)[0] for path in pages}
    assert all(status is not None and status < 500 for status in before.values()), before
    status, body = server.get("/healthz")
    assert '"database": {"ok": true' in body

    switch.down()
    for _round in range(2):  # the first request meets the cut connection, the next a refused one
        for path in pages:
            assert_friendly_503(*server.get(path))
    status, body = server.get("/healthz")
    assert status == 503
    assert '"database": {"ok": false' in body
    log = server.read_log()
    assert "Database unavailable" in log

    switch.up()
    after = {path: server.get(path)[0] for path in pages}
    assert after == before
    assert '"database": {"ok": true' in server.get("/healthz")[1]


@pytest.mark.parametrize("error", [OperationalError("database is locked"), InterfaceError("closed")])
def test_a_database_error_outside_a_view_is_a_503_page(error):
    request = RequestFactory().get("/")
    try:
        raise error
    except type(error):
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert MESSAGE in response.content.decode()


def test_any_other_error_outside_a_view_stays_a_500():
    request = RequestFactory().get("/")
    try:
        raise ValueError("bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500


def test_a_locked_sqlite_database_is_a_503_page_not_a_500(transactional_db, users):
    """Another process holds the write lock longer than the busy timeout (shortened here to keep
    the test fast): logging in, which writes the session, gets the 503 page."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's file lock; PostgreSQL is covered by the proxy test")
    import sqlite3

    from django.test import Client

    from tests.conftest import TEST_PASSWORD

    client = Client(raise_request_exception=False)
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=1)
    original = dict(connection.settings_dict["OPTIONS"])
    connection.close()
    connection.settings_dict["OPTIONS"] = {**original, "timeout": 0.5}
    try:
        holder.execute("BEGIN EXCLUSIVE")
        response = client.post("/admin/login/", {"username": "inspector", "password": TEST_PASSWORD})
    finally:
        holder.rollback()
        holder.close()
        connection.close()
        connection.settings_dict["OPTIONS"] = original
    assert_friendly_503(response.status_code, response.content.decode())
    # Nothing half-done: the same login works once the lock is gone.
    again = client.post("/admin/login/", {"username": "inspector", "password": TEST_PASSWORD})
    assert again.status_code == 302
