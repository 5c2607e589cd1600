"""Measurements 6 and 7: the overdue sweep and the transition service, inline and on a real qcluster.

6. `automation.escalate_overdue` over `rows` open overdue items: seconds and SQL queries of one pass
   (set-based: a handful of statements whatever the number of items), and of the no-op rerun.
7. `services.transition` moves per second in one process; the same moves as one task per record on a
   real 2-worker `manage.py qcluster`; and as bulk jobs (one task per batch of BATCH records) against
   the same ORM work done inline (≤ 1.5x). Then the broker alone: trivial tasks per second through
   the ORM broker on SQLite without and with WAL, and through Redis when REDIS_URL is set (each in a
   subprocess with its own settings, on a copy of the migrated template database).
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.bench import data
from tests.bench.core import BASE_DIR, at_most, count_queries, info, ratio_at_most, user_with_role
from tests.processes import stop_process_group

BATCH = 50
BULK_TARGET = 1.5
SWEEP_QUERY_LIMIT = 30


# Task functions (imported by the qcluster's workers by dotted path).
def noop(n=0):
    return n


def move_one(issue_id, actor_id):
    from django.contrib.auth import get_user_model

    from workflows import services

    actor = get_user_model().objects.get(pk=actor_id)
    services.transition(issue_id, "close", actor, request_key=f"bench:{issue_id}")


def move_batch(issue_ids, actor_id):
    """A bulk job's task: one batch of records, one task."""
    from django.contrib.auth import get_user_model

    from workflows import services

    actor = get_user_model().objects.get(pk=actor_id)
    for issue_id in issue_ids:
        services.transition(issue_id, "close", actor, request_key=f"bench:{issue_id}")


class Cluster:
    """A real `manage.py qcluster` (2 workers) on this process's database and broker."""

    def __init__(self, workdir, env=None):
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.env["Q_WORKERS"] = "2"
        self.env["QCLUSTER_CACHE_DIR"] = str(Path(workdir) / f"qcache-{os.getpid()}")
        self.log = Path(workdir) / f"qcluster-{os.getpid()}.log"

    def __enter__(self):
        self.log_file = open(self.log, "ab")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # Ready when a first task has gone through.
        from django_q.tasks import async_task

        async_task("tests.bench.bench_workflows.noop", group="bench-warmup")
        wait_for(lambda: _done("bench-warmup") >= 1, self, "warm-up task")
        return self

    def __exit__(self, *exc):
        stop_process_group(self.process)
        self.log_file.close()


def _done(group):
    from django_q.models import Task

    return Task.objects.filter(group=group).count()


def wait_for(condition, cluster, what, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if cluster.process.poll() is not None:
            raise RuntimeError(f"qcluster exited: {cluster.log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}: {cluster.log.read_text(errors='replace')[-3000:]}")


def _notified():
    """Notification tasks run to success so far (by the cluster or inline in sync mode)."""
    from django_q.models import Success

    return Success.objects.filter(func="workflows.tasks.notify_transition").count()


def _closed(ids):
    from snippets.models import Issue

    return Issue.objects.filter(pk__in=ids, stage="closed").count()


def broker_rate(count, workdir):
    """In a subprocess with the variant's settings: trivial tasks per second through a 2-worker cluster."""
    import django

    django.setup()
    from django_q.tasks import async_task

    with Cluster(workdir) as cluster:
        started = time.perf_counter()
        for n in range(count):
            async_task("tests.bench.bench_workflows.noop", n, group="bench-noop")
        wait_for(lambda: _done("bench-noop") >= count, cluster, "trivial tasks")
        elapsed = time.perf_counter() - started
    print(json.dumps({"tasks_per_second": count / elapsed}))


def _broker_variant(ctx, label, env, count):
    proc = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_workflows", "brokers", str(count), str(ctx.workdir)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"broker variant {label} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["tasks_per_second"]


def brokers(ctx, count):
    """[(label, tasks/s)]: ORM broker (SQLite: rollback journal, then WAL; PostgreSQL: as is), Redis."""
    template = os.environ.get("BENCH_TEMPLATE_URL", "")
    variants = []
    base = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    if template.startswith("sqlite:///"):
        source = Path(template.removeprefix("sqlite:///"))
        journals = (("ORM broker, SQLite rollback journal", "delete"), ("ORM broker, SQLite WAL", ""))
        for label, journal in journals:
            path = ctx.workdir / f"broker-{journal or 'wal'}.sqlite3"
            shutil.copyfile(source, path)
            env = {**base, "DATABASE_URL": f"sqlite:///{path}", "BENCH_SQLITE_JOURNAL": journal}
            variants.append((label, env, path))
    else:
        variants.append(("ORM broker, PostgreSQL", base, None))
    if os.environ.get("REDIS_URL"):
        variants.append(("Redis broker", dict(os.environ), None))
    rates = []
    for label, env, path in variants:
        rates.append((label, _broker_variant(ctx, label, env, count)))
        if path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    return rates


def measure(ctx):
    import datetime as dt

    from django.conf import settings

    from snippets.models import Issue
    from workflows import automation, roles, services

    today = dt.date(2026, 11, 27)
    items = ctx.rows
    institution_list = data.institutions(200)
    data.issues(
        ctx.rng,
        items,
        institution_list=institution_list,
        today=today,
        stages=["in_progress"],
        stage_version=2,
    )  # found 30 days ago, deadlines 1-40 days later: about three in four are overdue

    results = []
    result, seconds, queries = count_queries(lambda: automation.escalate_overdue(today=today))
    results.append(
        at_most(
            f"6 overdue sweep, {items:,} open items: queries",
            queries,
            SWEEP_QUERY_LIMIT,
            "queries",
            note=f"{result['escalations']:,} escalations",
        )
    )
    results.append(info(f"6 overdue sweep, {items:,} open items: one pass", seconds, "s"))
    _result, seconds, queries = count_queries(lambda: automation.escalate_overdue(today=today))
    results.append(info("6 overdue sweep, no-op rerun", seconds, "s", note=f"{queries} queries"))

    leader = user_with_role(roles.LEADERSHIP, "bench-leader")
    moves = ctx.scaled(300, minimum=20) if not ctx.full else 300
    single = max(moves // 3, 20)  # one task per record: a rate, not a comparison; fewer tasks
    pool = list(Issue.objects.order_by("pk").values_list("pk", flat=True)[: 3 * moves + single])
    inline_ids, batch_ids, inline2_ids = (pool[k * moves : (k + 1) * moves] for k in range(3))
    one_ids = pool[3 * moves :]
    Issue.objects.filter(pk__in=pool).update(stage="submitted")

    def inline(ids):
        """The moves and their side-effect tasks (the notification of each move) in this process:
        django-q's sync mode runs each queued task here, through the same worker code and result
        saving as the cluster, so both sides do the same ORM work and nothing is left queued."""
        from django_q.conf import Conf

        saved, Conf.SYNC = Conf.SYNC, True
        try:
            for issue_id in ids:
                services.transition(issue_id, "close", leader, request_key=f"bench:{issue_id}")
        finally:
            Conf.SYNC = saved

    from django_q.tasks import async_task

    broker = "Redis" if settings.REDIS_URL else f"ORM on {ctx.vendor}"
    started = time.perf_counter()
    inline(inline_ids)
    inline_seconds = time.perf_counter() - started
    results.append(
        info("7 transitions, single process", moves / inline_seconds, "/s", note="with their notifications")
    )

    with Cluster(ctx.workdir) as cluster:
        # Each run ends when its records are closed and their notifications sent (the cluster runs
        # both), so no task of one run is left to slow the next.
        notified = _notified()
        started = time.perf_counter()
        for issue_id in one_ids:
            async_task("tests.bench.bench_workflows.move_one", issue_id, leader.pk)
        done = notified + single
        wait_for(lambda: _closed(one_ids) >= single and _notified() >= done, cluster, "per-record tasks")
        per_record = time.perf_counter() - started
        results.append(
            info(
                "7 transitions, 2 qcluster workers, one task per record",
                single / per_record,
                "/s",
                note=f"{single} records, {broker} broker, with their notification tasks",
            )
        )
        notified = _notified()
        started = time.perf_counter()
        for start in range(0, moves, BATCH):
            async_task("tests.bench.bench_workflows.move_batch", batch_ids[start : start + BATCH], leader.pk)
        done = notified + moves
        wait_for(lambda: _closed(batch_ids) >= moves and _notified() >= done, cluster, "batch tasks")
        batched = time.perf_counter() - started
    # The inline reference again, after the cluster: the median-free pair brackets the cluster run.
    started = time.perf_counter()
    inline(inline2_ids)
    inline_seconds = min(inline_seconds, time.perf_counter() - started)
    results.append(
        ratio_at_most(
            f"7 bulk job, {moves} moves in tasks of {BATCH} / same moves inline",
            batched,
            inline_seconds,
            BULK_TARGET,
            note=f"2 workers, {broker} broker, notifications included on both sides; "
            "baseline: the faster of two inline runs around it",
        )
    )

    noops = ctx.scaled(200, minimum=30) if not ctx.full else 200
    rates = brokers(ctx, noops)
    reference = rates[0][1]
    for label, rate in rates:
        results.append(
            info(
                f"7 broker: trivial tasks/s, {label}",
                rate,
                "/s",
                baseline=reference,
                note=f"{noops} tasks, 2 workers; baseline: {rates[0][0]}",
            )
        )
    return results


if __name__ == "__main__":
    if sys.argv[1] == "brokers":
        broker_rate(int(sys.argv[2]), sys.argv[3])
