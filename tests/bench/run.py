"""Benchmark runner (issue #8): `make bench`, or

    .venv/bin/python -m tests.bench.run [--only NAME ...] [--rows N] [--repeats N] [--json PATH]

Migrates one scratch database, then runs every module of MODULES in its own process on its own copy
of it: SQLite files under var/bench/ by default; with DATABASE_URL set to PostgreSQL, databases
created from a template next to it (named <db>_bench_*, dropped afterwards; the server's user must
be allowed to create databases). REDIS_URL set: the Redis cache and broker (under their own key
prefix and queue name). Prints one table and writes it as JSON (var/bench/latest.json by default).

A module is a file exposing `measure(ctx) -> list[core.Result]`; add it to MODULES with one line.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from tests.bench.core import FULL_ROWS  # noqa: E402

SETTINGS = "tests.bench.settings"
# (name for --only, module). Order: cheapest first, so a failure shows early.
MODULES = [
    ("api", "tests.bench.bench_api"),  # 5
    ("admin", "tests.bench.bench_admin"),  # 9
    ("ledger", "tests.bench.bench_ledger"),  # 1, 2
    ("workflows", "tests.bench.bench_workflows"),  # 6, 7
    ("dashboard", "tests.bench.bench_dashboard"),  # 8
    ("public", "tests.bench.bench_public"),  # 3, 4
    ("proxy", "tests.bench.bench_proxy"),  # 10 (nginx in front of gunicorn; skipped without nginx)
    ("supplies", "tests.bench.bench_supplies"),  # issue #14: the shortage sweep
]


def child_env(database_url, extra=None):
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    env["DATABASE_URL"] = database_url
    env.setdefault("PYTHONHASHSEED", "0")
    env.update(extra or {})
    return env


class Databases:
    """Scratch databases: a migrated template and one copy per module."""

    def __init__(self, workdir, database_url):
        self.workdir = workdir
        self.source_url = database_url
        self.postgres = bool(database_url) and database_url.startswith(("postgres", "postgresql"))
        self.created = []
        self.keep = False

    def _pg_url(self, name):
        parts = urlsplit(self.source_url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def _pg_admin(self, sql):
        import psycopg

        with psycopg.connect(self._pg_url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def _pg_name(self, suffix):
        base = urlsplit(self.source_url).path.lstrip("/") or "response_desk"
        return f"{base}_bench{os.getpid()}_{suffix}"

    def template(self, reuse=False):
        """URL of the template database, and whether it still needs migrating."""
        if self.postgres:
            name = self._pg_name("template")
            self._pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._pg_admin(f'CREATE DATABASE "{name}"')
            self.created.append(name)
            url = self._pg_url(name)
        elif self.source_url:
            raise SystemExit("DATABASE_URL must be PostgreSQL (SQLite: leave it unset)")
        else:
            path = self.workdir / "template.sqlite3"
            if reuse and path.exists():
                self.keep = True
                return f"sqlite:///{path}", False
            _unlink_sqlite(path)
            self.keep = reuse
            url = f"sqlite:///{path}"
        return url, True

    def copy(self, suffix):
        if self.postgres:
            name = self._pg_name(suffix)
            self._pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_name("template")}"')
            self.created.append(name)
            return self._pg_url(name), name
        path = self.workdir / f"{suffix}.sqlite3"
        _unlink_sqlite(path)
        shutil.copyfile(self.workdir / "template.sqlite3", path)
        return f"sqlite:///{path}", path

    def drop(self, handle):
        if self.postgres:
            self._pg_admin(f'DROP DATABASE IF EXISTS "{handle}" WITH (FORCE)')
        else:
            _unlink_sqlite(Path(handle))

    def drop_all(self):
        if self.postgres:
            for name in self.created:
                self._pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif not self.keep:
            _unlink_sqlite(self.workdir / "template.sqlite3")


def _unlink_sqlite(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_child(args):
    """In the module's process: set up Django, run one module, write its results as JSON."""
    import importlib

    import django

    django.setup()
    if args.child == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return
    from django.db import connection

    from tests.bench.core import Context

    module = importlib.import_module(dict(MODULES)[args.child])
    ctx = Context(rows=args.rows, repeats=args.repeats, seed=args.seed, workdir=args.workdir)
    started = time.perf_counter()
    results = module.measure(ctx)
    connection.close()
    payload = {
        "module": args.child,
        "seconds": time.perf_counter() - started,
        "results": [result.as_dict() for result in results],
    }
    Path(args.child_out).write_text(json.dumps(payload, ensure_ascii=False))


def fmt(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_table(rows):
    header = ["figure", "value", "unit", "baseline", "ratio", "target", "met"]
    lines = [
        [
            row["figure"],
            fmt(row["value"]),
            row["unit"],
            fmt(row["baseline"]),
            "-" if row["ratio"] is None else f"{row['ratio']:.2f}",
            row["target"] or "-",
            "-" if row["met"] is None else ("yes" if row["met"] else "NO"),
        ]
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    out = [
        "  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)),
        "  ".join("-" * width for width in widths),
    ]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    notes = [f"  [{row['figure']}] {row['note']}" for row in rows if row.get("note")]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def write_report(path, rows, **meta):
    """The table as JSON: when, where, on what, and the rows (Result.as_dict() each)."""
    report = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "node": platform.node()},
        "redis": bool(os.environ.get("REDIS_URL")),
        **meta,
        "results": rows,
    }
    json_path = Path(path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    return json_path


def main(argv=None):
    parser = argparse.ArgumentParser(description="Issue #8 benchmark suite")
    parser.add_argument("--only", action="append", default=[], help="module name (repeatable)")
    parser.add_argument("--rows", type=int, default=FULL_ROWS, help="scale (full run: 100000)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per timed figure (median)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", default=str(BASE_DIR / "var" / "bench" / "latest.json"))
    parser.add_argument("--workdir", default=str(BASE_DIR / "var" / "bench"))
    parser.add_argument("--list", action="store_true", help="list the modules and exit")
    parser.add_argument(
        "--reuse-template", action="store_true", help="SQLite: keep the migrated template for the next run"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        return run_child(args)
    names = [name for name, _module in MODULES]
    if args.list:
        print("\n".join(names))
        return 0
    selected = [n for item in args.only for n in item.split(",")] or names
    unknown = set(selected) - set(names)
    if unknown:
        parser.error(f"unknown module(s): {', '.join(sorted(unknown))}; known: {', '.join(names)}")

    # Each run has its own directory (and PostgreSQL database names): two runs at once must not drop
    # each other's databases. --reuse-template keeps one template in the shared directory.
    workdir = Path(args.workdir) / ("template" if args.reuse_template else f"run-{os.getpid()}")
    workdir.mkdir(parents=True, exist_ok=True)
    dbs = Databases(workdir, os.environ.get("DATABASE_URL", ""))
    started = time.perf_counter()
    common = ["--rows", str(args.rows), "--repeats", str(args.repeats), "--seed", str(args.seed)]
    common += ["--workdir", str(workdir)]
    rows, failures, timings = [], [], {}
    try:
        template, needs_migrate = dbs.template(reuse=args.reuse_template)
        if needs_migrate:
            subprocess.run(
                [sys.executable, "-m", "tests.bench.run", "--child", "migrate"],
                cwd=BASE_DIR,
                env=child_env(template, {"BENCH_SQLITE_NOSYNC": "1"}),
                check=True,
            )
        for name in selected:
            url, handle = dbs.copy(name)
            out = workdir / f"{name}.json"
            out.unlink(missing_ok=True)
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            module_started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "tests.bench.run", "--child", name, "--child-out", str(out), *common],
                cwd=BASE_DIR,
                env=child_env(url, {"BENCH_TEMPLATE_URL": template}),
            )
            timings[name] = round(time.perf_counter() - module_started, 1)
            dbs.drop(handle)
            if proc.returncode != 0 or not out.exists():
                failures.append(name)
                continue
            module_rows = json.loads(out.read_text())["results"]
            out.unlink()
            rows += module_rows
            # Each module's rows as soon as they exist: a long run stopped half-way keeps them.
            print(format_table(module_rows), file=sys.stderr, flush=True)
            write_report(args.json, rows, partial=True, module_seconds=timings)
    finally:
        dbs.drop_all()
        if not args.reuse_template:
            shutil.rmtree(workdir, ignore_errors=True)

    table = format_table(rows)
    print(table)
    total = time.perf_counter() - started
    met = [row["met"] for row in rows if row["met"] is not None]
    summary = f"{sum(met)}/{len(met)} targets met; {len(rows)} figures in {total:.0f} s"
    if failures:
        summary += f"; FAILED modules: {', '.join(failures)}"
    print(summary)
    json_path = write_report(
        args.json,
        rows,
        database="postgresql" if dbs.postgres else "sqlite",
        rows_scale=args.rows,
        repeats=args.repeats,
        seed=args.seed,
        seconds=round(total, 1),
        module_seconds=timings,
        failed_modules=failures,
    )
    print(f"JSON: {json_path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
