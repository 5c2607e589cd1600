"""Load test of issue #9: the public site and its open data at a viral appeal's rate, while a ledger
import and the overdue sweep run. Bounded: 127.0.0.1 only, under a minute.

    .venv/bin/python tests/load/run_load.py [--duration 20] [--rows 5000] [--workers 2]

Starts gunicorn with the production settings and the anonymous page cache on, against the configured
database (DATABASE_URL, default the project's db.sqlite3; REDIS_URL as configured), which must hold
the public site and at least one published disclosure day (`make run` seeds them). Then drives home,
appeal, channels, the disclosure list and the latest day, and the open-data API (list, day JSON and
CSV) from load-generator processes (tests/load/loadgen.py) while another process
(tests/load/background.py) imports a ledger file of --rows rows and runs the overdue sweep.
Prints the figures (requests/s, p50/p95/p99, error responses) and what the import and sweep did;
exits 1 on any error response or a failed import or sweep. tests/load/test_load.py runs it smaller.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from tests.load import loadgen  # noqa: E402
from tests.load.server import Gunicorn, production_env  # noqa: E402


def default_database_url():
    import os

    return os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"


def public_paths(server):
    """The public pages and open data to drive, found through the site itself."""
    status, _headers, body = server.get("/api/disclosures/")
    if status != 200:
        raise SystemExit(f"/api/disclosures/ answered {status}: is the site set up (make run)?")
    days = json.loads(body)["days"]
    if not days:
        raise SystemExit("no published disclosure day: publish one first (make run seeds them)")
    day = max(d["date"] for d in days)
    paths = [
        "/",
        "/appeal/",
        "/channels/",
        "/disclosures/",
        f"/disclosures/{day}/",
        "/api/disclosures/",
        f"/api/disclosures/{day}.json",
        f"/api/disclosures/{day}.csv",
    ]
    for path in paths:
        status = server.get(path)[0]
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    return paths


def run(
    database_url=None,
    duration=30.0,
    rows=5000,
    workers=2,
    processes=2,
    threads=8,
    workdir=None,
    extra_env=None,
):
    """Returns {"load": loadgen figures, "background": import and sweep, "ok": bool}."""
    workdir = Path(workdir or BASE_DIR / "var" / "load")
    env = production_env(
        database_url or default_database_url(), workdir, page_cache=True, **(extra_env or {})
    )
    with Gunicorn(env, workers=workers) as server:
        paths = public_paths(server)
        background = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "tests" / "load" / "background.py"), "--rows", str(rows)],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started = time.perf_counter()
        load = loadgen.run(server.port, paths, duration=duration, processes=processes, threads=threads)
        try:
            stdout, stderr = background.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            background.kill()
            stdout, stderr = background.communicate()
        elapsed = time.perf_counter() - started
        server_log = server.read_log()
    try:
        work = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        work = {"error": f"background process failed (exit {background.returncode}): {stderr[-2000:]}"}
    imported = work.get("import", {})
    swept = work.get("sweep", {})
    ok = (
        load["errors"] == 0
        and imported.get("status") == "done"
        and "escalations" in swept
        and load["requests"] > 0
    )
    return {
        "ok": ok,
        "load": load,
        "background": work,
        "background_finished_within_s": round(elapsed, 1),
        "paths": paths,
        "server_log_tail": server_log[-2000:] if not ok else "",
    }


def report(result):
    load = result["load"]
    lines = [
        f"requests {load['requests']:,} in {load['seconds']} s: {load['rps']:,} requests/s, "
        f"p50 {load['p50_ms']} ms, p95 {load['p95_ms']} ms, p99 {load['p99_ms']} ms",
        f"error responses {load['errors']} "
        f"(statuses {load['statuses']}, socket errors {load['socket_errors']})",
        f"import: {json.dumps(result['background'].get('import'), ensure_ascii=False)}",
        f"sweep: {json.dumps(result['background'].get('sweep'), ensure_ascii=False)}",
        "per path: " + ", ".join(f"{p} {n}" for p, n in load["per_path"].items()),
        "OK" if result["ok"] else "FAILED",
    ]
    if result.get("server_log_tail"):
        lines.append("gunicorn log:\n" + result["server_log_tail"])
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Bounded load test of the public site (issue #9)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--rows", type=int, default=5000, help="rows of the ledger file imported meanwhile")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per load-generator process")
    args = parser.parse_args(argv)
    if args.duration > 50:
        parser.error("bounded: at most 50 seconds of load")
    result = run(args.database_url, args.duration, args.rows, args.workers, args.processes, args.threads)
    print(report(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
