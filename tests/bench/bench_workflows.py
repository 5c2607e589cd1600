"""Benchmark of the rectification workflow (a script, not a collected test).

    .venv/bin/python tests/bench/bench_workflows.py [--items 100000] [--transitions 500]

Prints the time of the overdue sweep over N open items (set-based: a few queries per level,
whatever N) and stage moves per second through `workflows.services.transition`. The database is
a fresh SQLite file unless DATABASE_URL points elsewhere (e.g. a scratch PostgreSQL database:
the script creates and drops its tables through migrate/flush, so never point it at real data).
"""

import argparse
import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))


def setup(database_url):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)  # post_migrate: groups, permissions, schedules


def make_items(count):
    from django.contrib.auth import get_user_model

    from snippets.choices import Area, InstitutionKind, Severity
    from snippets.models import Institution, Issue, IssueCategory
    from workflows import roles

    User = get_user_model()
    unit = User.objects.create_user("bench-unit", email="unit@example.org")
    unit.groups.add(*roles_groups(roles.RESPONSIBLE_UNIT))
    leaders = []
    for n in range(2):
        leader = User.objects.create_user(f"bench-leader{n}", email=f"leader{n}@example.org")
        leader.groups.add(*roles_groups(roles.LEADERSHIP))
        leaders.append(leader)
    category = IssueCategory.objects.create(code="bench", name="基准测试类别", default_deadline_days=5)
    institutions = [
        Institution.objects.create(
            name=f"基准机构{n}",
            kind=InstitutionKind.TOWNSHIP_ELDER_CARE,
            township=f"乡镇{n % 20}",
            area=Area.RURAL,
        )
        for n in range(200)
    ]
    institutions[0].responsible_users.add(unit)
    today = datetime.date(2026, 11, 27)
    batch = []
    for n in range(count):
        batch.append(
            Issue(
                number=f"BENCH-{n:07d}",
                title=f"基准问题{n}",
                category=category,
                institution=institutions[n % len(institutions)],
                severity=Severity.MEDIUM,
                found_on=today - datetime.timedelta(days=30),
                deadline=today - datetime.timedelta(days=n % 15),
                stage="in_progress",
                stage_version=2,
                responsible_person=unit if n % len(institutions) == 0 else None,
            )
        )
    Issue.objects.bulk_create(batch, batch_size=5000)
    return unit, leaders, today


def roles_groups(key):
    from django.contrib.auth.models import Group

    from workflows import roles

    return [Group.objects.get(name=roles.group_name(key))]


def count_queries(func):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
    return result, elapsed, len(captured.captured_queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--transitions", type=int, default=500)
    args = parser.parse_args()
    scratch = None
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        scratch = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        database_url = f"sqlite:///{scratch}"
    setup(database_url)

    from django.db import connection

    from snippets.models import Issue
    from workflows import automation, services
    from workflows.models import Escalation, Notification

    print(f"database: {connection.vendor}")
    started = time.perf_counter()
    unit, leaders, today = make_items(args.items)
    print(f"created {args.items} open items in {time.perf_counter() - started:.1f}s")

    result, elapsed, queries = count_queries(lambda: automation.escalate_overdue(today=today))
    print(
        f"overdue sweep, first run: {elapsed:.2f}s, {queries} queries, "
        f"{result['escalations']} escalations, {Notification.objects.count()} notifications"
    )
    result, elapsed, queries = count_queries(lambda: automation.escalate_overdue(today=today))
    print(
        f"overdue sweep, rerun (no-op): {elapsed:.2f}s, {queries} queries, "
        f"{result['escalations']} escalations"
    )
    assert result["escalations"] == 0 and Escalation.objects.count() > 0

    # Transitions per second: close submitted items, alternating two leaders.
    ids = list(Issue.objects.order_by("pk").values_list("pk", flat=True)[: args.transitions])
    Issue.objects.filter(pk__in=ids).update(stage="submitted")

    def close_all():
        for index, issue_id in enumerate(ids):
            services.transition(issue_id, "close", leaders[index % 2], request_key=f"bench:{issue_id}")

    _none, elapsed, queries = count_queries(close_all)
    print(
        f"transitions: {len(ids)} closes in {elapsed:.2f}s = {len(ids) / elapsed:.0f} per second "
        f"({queries / len(ids):.1f} queries each, including the side-effect task enqueued on commit)"
    )

    if scratch:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
