"""gunicorn with the production settings on 127.0.0.1, for the load test and the benchmarks.

`production_env()` gives the environment (a random 50-character key, the hosts, no HTTPS redirect
since the load generator speaks plain HTTP to 127.0.0.1, the anonymous page cache on) and
`Gunicorn(...).start()` collects the static files once (whitenoise's manifest storage needs them) and
waits until the server answers.
"""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.processes import stop_process_group

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def production_env(database_url, workdir, page_cache=True, **extra):
    workdir = Path(workdir)
    env = dict(os.environ)
    for name in ("DEBUG", "SECRET_KEY", "PAGE_CACHE", "PAGE_CACHE_SECONDS", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=f"{HOST},localhost",
        SECURE_SSL_REDIRECT="False",
        DATABASE_URL=database_url,
        VAR_DIR=str(workdir / "var"),
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        PRIVATE_MEDIA_ROOT=str(workdir / "private_media"),
        PAGE_CACHE="1" if page_cache else "0",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def _newest_source_mtime():
    sources = [BASE_DIR / "requirements.txt", *(BASE_DIR / "static").rglob("*")]
    return max(path.stat().st_mtime for path in sources if path.is_file())


def collectstatic(env):
    """The manifest is what whitenoise and `{% static %}` read. Collecting and compressing every
    file takes a minute and a half here, so it is skipped while the manifest is newer than the
    project's static files and requirements.txt (which pins the packages shipping the rest)."""
    manifest = Path(env["STATIC_ROOT"]) / "staticfiles.json"
    if manifest.exists() and manifest.stat().st_mtime > _newest_source_mtime():
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )


def http_get(port, path, headers=None):
    """(status, headers dict, body bytes) of one GET to HOST:port (gunicorn, or nginx in front)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class Gunicorn:
    def __init__(self, env, workers=2, port=None, log_path=None):
        self.env = env
        self.workers = workers
        self.port = port or free_port()
        self.log_path = Path(log_path or Path(env["VAR_DIR"]) / f"gunicorn-{self.port}.log")
        self.process = None

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def start(self, timeout=60):
        Path(self.env["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
        collectstatic(self.env)
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "cms.wsgi",
                "-b",
                f"{HOST}:{self.port}",
                "-w",
                str(self.workers),
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.read_log()}")
            try:
                self.get("/healthz")
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{self.read_log()}")

    def get(self, path, headers=None):
        return http_get(self.port, path, headers)

    def read_log(self):
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop(self):
        stop_process_group(self.process)
        if self.process:
            self.log.close()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
