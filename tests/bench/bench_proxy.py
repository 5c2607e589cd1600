"""Measurement 10 (issue #16 items 4 and 5): nginx with proxy caching in front of gunicorn.

The bench starts its own nginx (Debian package `nginx`) from a configuration generated under
var/bench/proxy/ (the shape of docs/deploy.md: proxy_cache keyed on the URI, cached only for
anonymous Chinese readers, PURGE turned into a refresh on an internal listener), gunicorn with the
production settings behind it, and a real qcluster that runs the purge task. Figures:

- requests/s of public pages served from nginx's cache against nginx serving the same bytes as static
  files (target >= 0.8), driven by `wrk` (Debian package) or, without it, tests/load/loadgen.py;
- the time from a publish (a disclosure day; an appeal's new lead) to the first fresh response
  through the proxy, and the purge task's URLs and duration;
- item 5: the same with gunicorn's in-process page cache on and off, plus requests/s of traffic the
  proxy does not cache (English readers) in both settings.

Without nginx the module prints why and returns one informational row.
"""

import datetime as dt
import getpass
import math
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from django.test.utils import override_settings

from tests.bench.core import info, ratio_at_least
from tests.load.server import HOST, Gunicorn, free_port, http_get, production_env
from tests.processes import stop_process_group

DAY_ONE = dt.date(2020, 2, 3)
HTTP_BACKEND = "wagtail.contrib.frontend_cache.backends.HTTPBackend"
PAIRS = 3  # alternating runs of the proxy cache and the static files; the best of each counts
PATHS = [
    "/",
    "/appeal/",
    "/channels/",
    "/disclosures/",
    f"/disclosures/{DAY_ONE.isoformat()}/",
    "/api/disclosures/",
]

NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp/client;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    default_type application/octet-stream;
{cache_block}
    server {{
        listen {host}:{port};
        location /bench-static/ {{
            alias {dir}/static/;
        }}
        location / {{
            proxy_pass http://desk_web;
            proxy_set_header X-Forwarded-Proto $scheme;
{cache_location}
        }}
    }}
}}
"""

# The part of docs/deploy.md's configuration that is the same here (kept in step by hand).
CACHE_BLOCK = """\
    proxy_cache_path {dir}/cache levels=1:2 keys_zone=desk_pages:20m max_size=2g inactive=1h
                     use_temp_path=off;
    upstream desk_web {{ server {upstream}; keepalive 16; }}
    # Cached only for anonymous readers who get the Chinese pages: the cache key is the URI alone,
    # so that one PURGE refreshes the one entry every such reader is served.
    map $http_accept_language $desk_other_language {{ default 1; "" 0; ~*^zh 0; }}
    map $cookie_django_language $desk_chosen_language {{ default 1; "" 0; zh-hans 0; }}
    map "$cookie_sessionid$http_authorization" $desk_signed_in {{
        default 1; "" 0;
    }}
    server {{
        # Purge listener (FRONTEND_CACHE_PURGE_URL): reachable by the web and task hosts only. A
        # PURGE becomes a GET to the refresh listener, which fetches the page and stores it.
        listen {host}:{purge_port};
        allow 127.0.0.1;
        deny all;
        location / {{
            if ($request_method != PURGE) {{ return 405; }}
            proxy_method GET;
            proxy_pass http://{host}:{refresh_port};
            proxy_set_header Host $host;
        }}
    }}
    server {{
        listen {host}:{refresh_port};
        allow 127.0.0.1;
        deny all;
        location / {{
            proxy_pass http://desk_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header Cookie "";
            proxy_set_header Accept-Language "";
            proxy_set_header Authorization "";
            proxy_cache desk_pages;
            proxy_cache_key $request_uri;
            proxy_ignore_headers Vary;
            proxy_cache_bypass 1;
        }}
    }}
"""

CACHE_LOCATION = """\
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_cache desk_pages;
            proxy_cache_key $request_uri;
            proxy_ignore_headers Vary;
            proxy_cache_bypass $desk_other_language $desk_chosen_language $desk_signed_in;
            proxy_no_cache $desk_other_language $desk_chosen_language $desk_signed_in;
            proxy_cache_lock on;
            proxy_cache_revalidate on;
            proxy_cache_use_stale error timeout updating http_500 http_502 http_503;
            add_header X-Cache-Status $upstream_cache_status always;
"""


def find_nginx():
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(path, os.X_OK)), None
    )


class Nginx:
    def __init__(self, binary, workdir, upstream_port):
        self.binary = binary
        self.dir = Path(workdir)
        self.port, self.purge_port, self.refresh_port = free_port(), free_port(), free_port()
        self.upstream_port = upstream_port
        self.upstream = f"{HOST}:{upstream_port}"
        self.process = None

    @property
    def purge_url(self):
        return f"http://{HOST}:{self.purge_port}"

    def write_config(self):
        shutil.rmtree(self.dir / "cache", ignore_errors=True)
        for sub in ("tmp", "static", "cache"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        values = {
            "dir": self.dir,
            "host": HOST,
            "port": self.port,
            "purge_port": self.purge_port,
            "refresh_port": self.refresh_port,
            "upstream": self.upstream,
        }
        # As root, nginx's workers would switch to an account that cannot write var/bench.
        user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
        config = NGINX_CONF.format(
            user=user, cache_block=CACHE_BLOCK.format(**values), cache_location=CACHE_LOCATION, **values
        )
        path = self.dir / "nginx.conf"
        path.write_text(config)
        return path

    def __enter__(self):
        config = self.write_config()
        check = subprocess.run([self.binary, "-t", "-c", str(config)], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"nginx refused the generated configuration:\n{check.stderr}")
        self.log = open(self.dir / "nginx.out", "ab")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            [self.binary, "-c", str(config)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self.get("/bench-static/")
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("nginx did not answer in 15 s")

    def __exit__(self, *exc):
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None
            self.log.close()

    def get(self, path, headers=None):
        return http_get(self.port, path, headers)


def load(port, paths, duration, headers=None, workdir=None):
    """Requests/s of GETs over `paths` on 127.0.0.1:port: wrk when installed, else the project's
    load generator. Both are bounded by `duration`."""
    wrk = shutil.which("wrk")
    if wrk:
        script = Path(workdir) / "paths.lua"
        quoted = ", ".join(f'"{path}"' for path in paths)
        extra = "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in (headers or {}).items())
        script.write_text(
            f"local paths = {{{quoted}}}\nlocal i = 0\n{extra}"
            "request = function()\n  i = i + 1\n  return wrk.format(nil, paths[(i % #paths) + 1])\nend\n"
        )
        completed = subprocess.run(
            # wrk reads its duration as whole seconds ("2.5s" is a usage error).
            [wrk, "-t", "2", "-c", "16", "-d", f"{math.ceil(duration)}s", "-s", str(script)]
            + [f"http://{HOST}:{port}/"],
            capture_output=True,
            text=True,
            check=True,
            timeout=duration + 30,
        )
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", completed.stdout).group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", completed.stdout)
        return {"rps": rate, "errors": int(non_2xx.group(1)) if non_2xx else 0, "tool": "wrk"}
    if headers:
        return None  # the project's load generator sends no extra headers
    from tests.bench.bench_public import loadgen

    data = loadgen(port, paths, duration)
    return {"rps": data["rps"], "errors": data["errors"], "tool": "loadgen.py"}


def purge_tasks():
    from django_q.models import Task

    return list(Task.objects.filter(func="home.tasks.purge_frontend_cache").order_by("started"))


def wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.01)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def page_cache_settings(env):
    """The `pages` cache as gunicorn sees it, so that this process's publish empties gunicorn's
    page cache (the generation) as a publish on a web host would."""
    from django.conf import settings

    caches = {alias: dict(config) for alias, config in settings.CACHES.items()}
    if env.get("REDIS_URL"):
        caches["pages"] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env["REDIS_URL"],
            "KEY_PREFIX": "pages",
        }
    else:
        caches["pages"] = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(Path(env["VAR_DIR"]) / "page-cache"),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    return caches


def publish_and_time(nginx, change, url, fresh_text, label):
    """Seconds from the start of `change()` (a publish, committed when it returns) to the first
    response through nginx whose body holds `fresh_text`."""
    before = len(purge_tasks())
    started = time.monotonic()
    change()
    fresh_at = wait(lambda: fresh_text in nginx.get(url)[2].decode(), 60, f"fresh {url} after {label}")
    wait(lambda: len(purge_tasks()) > before, 60, f"the purge task after {label}")
    task = purge_tasks()[-1]
    return fresh_at - started, task


def measure_setup(ctx, results, nginx, page_cache_on, counter, phases):
    from tests.bench.bench_public import import_rows, publish_day
    from tests.home import factories

    label = "page cache on" if page_cache_on else "page cache off"
    # The public-load module's static root: collectstatic (1.5 min) is then skipped.
    env = production_env(
        os.environ["DATABASE_URL"],
        Path(ctx.workdir) / "proxy" / ("cached" if page_cache_on else "uncached"),
        page_cache=page_cache_on,
        STATIC_ROOT=str(Path(ctx.workdir) / "public-load" / "static"),
    )
    duration = 3 if ctx.full else 2  # whole seconds: wrk takes no fractions
    with Gunicorn(env, workers=2, port=nginx.upstream_port):
        phases.append((f"gunicorn up, {label}", time.monotonic()))
        sizes = []
        for index, url in enumerate(PATHS):
            nginx.get(url)
            status, headers, body = nginx.get(url)
            assert status == 200, (url, status, body[:300])
            assert headers.get("X-Cache-Status") == "HIT", (url, headers)
            (nginx.dir / "static" / f"page{index}.html").write_bytes(body)
            sizes.append(len(body))
        static_paths = [f"/bench-static/page{index}.html" for index in range(len(PATHS))]
        if page_cache_on:  # cache hits never reach gunicorn: measured once
            # Alternately, so that a neighbour's burst slows both sides; the best of each side.
            cached, static = [], []
            for _pair in range(PAIRS):
                cached.append(load(nginx.port, PATHS, duration, workdir=nginx.dir))
                static.append(load(nginx.port, static_paths, duration, workdir=nginx.dir))
            cached = max(cached, key=lambda figure: figure["rps"])
            static = max(static, key=lambda figure: figure["rps"])
            results.append(
                ratio_at_least(
                    "10 public pages from nginx's proxy cache / the same bytes as static files (req/s)",
                    cached["rps"],
                    static["rps"],
                    0.8,
                    note=(
                        f"{cached['tool']}, 2 threads x 16 keep-alive connections, {duration:g} s runs "
                        f"alternating, best of {PAIRS} each; nginx 1 worker; {len(PATHS)} "
                        f"URLs of {min(sizes):,}-{max(sizes):,} bytes; errors "
                        f"{cached['errors']}+{static['errors']}"
                    ),
                )
            )
            phases.append(("proxy cache vs static", time.monotonic()))
        english = load(nginx.port, PATHS, duration, headers={"Accept-Language": "en"}, workdir=nginx.dir)
        if english is not None:
            results.append(
                info(
                    f"10 uncached by the proxy (English readers) through nginx, {label} (req/s)",
                    english["rps"],
                    "/s",
                    note=f"errors {english['errors']}; gunicorn -w 2 renders or serves its page cache",
                )
            )
        phases.append((f"English readers, {label}", time.monotonic()))
        with override_settings(
            CACHES=page_cache_settings(env),
            WAGTAILFRONTENDCACHE={
                "proxy": {
                    "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
                    "LOCATION": nginx.purge_url,
                }
            },
            FRONTEND_CACHE_PURGE_DEBOUNCE=0,  # one task per change here: each is timed alone
        ):
            day = DAY_ONE + dt.timedelta(days=counter)
            before_import = len(purge_tasks())
            import_rows(20, 900_000 + counter * 100, day)
            wait(lambda: len(purge_tasks()) > before_import, 60, "the purge after the import")
            seconds, task = publish_and_time(
                nginx, lambda: publish_day(day), "/api/disclosures/", day.isoformat(), "disclosure"
            )
            purged = (task.result or {}).get("purged", 0)
            task_seconds = (task.stopped - task.started).total_seconds()
            results.append(
                info(
                    f"10 publish of a disclosure day to its first fresh response through nginx, {label}",
                    seconds,
                    "s",
                    note=(
                        f"/api/disclosures/ via the purge task on a 2-worker qcluster (the ORM broker "
                        f"polls every 0.5 s): {purged} URLs refreshed in {task_seconds:.2f} s"
                    ),
                )
            )
            appeal = live_appeal()
            lead = f"新的导语 {counter}"

            def publish_appeal():
                appeal.lead = lead
                factories.publish(appeal)

            seconds, task = publish_and_time(nginx, publish_appeal, "/appeal/", lead, "appeal")
            figure = f"10 publish of the appeal to its first fresh response through nginx, {label}"
            results.append(info(figure, seconds, "s"))
        phases.append((f"publish to fresh, {label}", time.monotonic()))


def live_appeal():
    from home.models import AppealPage

    return AppealPage.objects.live().first().specific


def measure(ctx):
    binary = find_nginx()
    if binary is None:
        reason = "nginx is not installed (Debian package nginx): the proxy figures are skipped"
        print(f"[proxy] skipped: {reason}", flush=True)
        return [info(f"10 proxy module skipped: {reason}", 0, "")]
    from tests.bench.bench_public import build_site, import_rows, publish_day
    from tests.bench.bench_workflows import Cluster

    phases = [("start", time.monotonic())]
    build_site()
    import_rows(200, 1, DAY_ONE)
    publish_day(DAY_ONE)
    phases.append(("data", time.monotonic()))
    results = []
    # One nginx and one cluster; gunicorn restarted on the same port with the page cache on, then off.
    with (
        Nginx(binary, Path(ctx.workdir) / "proxy" / "nginx", free_port()) as nginx,
        Cluster(ctx.workdir, env={"FRONTEND_CACHE_PURGE_URL": nginx.purge_url}),
    ):
        phases.append(("nginx and qcluster up", time.monotonic()))
        for counter, page_cache_on in enumerate((True, False), start=1):
            measure_setup(ctx, results, nginx, page_cache_on, counter, phases)
    phases.append(("stopped", time.monotonic()))
    steps = ", ".join(
        f"{name} {end - begin:.1f} s" for (_n, begin), (name, end) in zip(phases, phases[1:], strict=False)
    )
    results[0].note += f"; module phases: {steps}"
    return results
