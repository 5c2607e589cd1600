"""Helpers of the fault tests: free ports, a TCP proxy to cut the database, a private Redis, a live
web server and a qcluster started against a broker the test process does not use."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings

from tests.conftest import BASE_DIR, _cluster_env
from tests.processes import stop_process_group

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout=30, what="condition", interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; stop() cuts every connection and refuses new ones, as a
    database host that went away would; start() listens on the same port again."""

    def __init__(self, target_host, target_port, port=None):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.listener = None
        self.sockets = set()
        self.lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self):
        listener, self.listener = self.listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self.lock:
            sockets, self.sockets = self.sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class PrivateRedis:
    """A redis-server of the test's own on a free port, keeping nothing on disk (as in CI), so that
    a test can kill and restart it without touching the shared one on 6379."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, what="private redis-server")
        return self

    def ping(self):
        try:
            return self.client().ping()
        except Exception:
            return False

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def broker(self):
        """django-q2's Redis broker, pointed at this server (the test process's own is elsewhere)."""
        from django_q.brokers.redis_broker import Redis
        from django_q.conf import Conf

        broker = Redis(list_key=Conf.CLUSTER_NAME)
        broker.connection = self.client()
        return broker


def start_cluster(qcluster, ready, **env_overrides):
    """Start `manage.py qcluster` through the `qcluster` fixture's handle (log, stop, wait_until),
    waiting for `ready()` instead of the heartbeat the test process can see: used when the cluster
    talks to a broker of its own."""
    qcluster.log_path.parent.mkdir(parents=True, exist_ok=True)
    env = _cluster_env()
    env.update({key: str(value) for key, value in env_overrides.items()})
    qcluster.log = open(qcluster.log_path, "ab")  # noqa: SIM115 - closed by qcluster.stop()
    qcluster.process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=BASE_DIR,
        env=env,
        stdout=qcluster.log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    qcluster.wait_until(ready, timeout=60, what="the qcluster to be ready")
    return qcluster


def worker_pids(cluster_pid):
    """Child processes of the qcluster (sentinel's children: workers, monitor, pusher)."""
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(cluster_pid)], capture_output=True, text=True)
    return [int(pid) for pid in result.stdout.split()]


class LiveServer:
    """gunicorn serving cms.wsgi with the test settings in a subprocess of its own."""

    def __init__(self, log_path, threads=4, workers=1, **env_overrides):
        self.port = free_port()
        self.log_path = log_path
        self.env = _cluster_env()
        self.env.update({key: str(value) for key, value in env_overrides.items()})
        self.threads = threads
        self.workers = workers
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                os.path.join(os.path.dirname(sys.executable), "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--timeout",
                "60",
                "--no-control-socket",
                # Longer than a client's pause between requests: no reset of a reused connection.
                "--keep-alive",
                "30",
                "cms.wsgi:application",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: self.get("/healthz")[0] is not None, timeout=30, what="gunicorn to answer")
        return self

    def get(self, path):
        """(status, body) of a GET, without raising on 4xx/5xx; (None, error) if nothing answers."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:  # noqa: S310 - 127.0.0.1
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError as exc:
            return None, repr(exc)

    def read_log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self):
        stop_process_group(self.process)
        if self.process:
            self.log.close()
        self.process = None


def wait_for_other_sessions_to_end(timeout=15):
    """PostgreSQL ends a killed client's session a moment after the kill: wait for it, so that the
    next test (or dropping the test database) does not meet it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return

    def alone():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            return cursor.fetchone()[0] == 0

    # Hygiene, not the test's claim: another test's idle connection (a live server's thread) may
    # linger too, so a timeout is reported as a warning rather than failing the test.
    try:
        wait_for(alone, timeout=timeout, what="the killed processes' database sessions to end")
    except AssertionError as error:
        warnings.warn(str(error), stacklevel=2)
