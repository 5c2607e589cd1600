"""Benchmark (a script, not a collected test): the dashboard's render time with 100,000 issues and
100,000 ledger rows, relative to an empty dashboard.

    .venv/bin/python tests/bench/bench_dashboard.py [--issues 100000] [--ledger 100000]

Builds its own SQLite database under var/ (or uses DATABASE_URL if set), migrates it, renders
/admin/dashboard/ as a leader with an empty database, fills it with bulk inserts, renders again with
a cold cache (every figure computed) and a warm cache, and prints the times and their ratios.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    if "DATABASE_URL" not in os.environ:
        path = BASE_DIR / "var" / "bench-dashboard.sqlite3"
        path.parent.mkdir(exist_ok=True)
        if path.exists():
            path.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()


def timed(client, url, runs, clear_cache):
    from workflows.dashboard import cache

    times = []
    for _ in range(runs):
        if clear_cache:
            cache._cache().clear()
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows.dashboard import cache

    cache._cache().clear()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return len(ctx.captured_queries)


def fill(issue_count, ledger_count, seed=7):
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from home.ledger.models import EntryKind, LedgerEntry
    from snippets.choices import Answer, Area, VisitState
    from snippets.models import (
        ChecklistAnswer,
        ChecklistTemplate,
        InspectionRound,
        Institution,
        Issue,
        IssueCategory,
        Visit,
    )
    from workflows.models import Escalation, StageTransition

    rng = random.Random(seed)
    today = timezone.localdate()
    categories = list(IssueCategory.objects.all())
    template = ChecklistTemplate.objects.filter(is_active=True).first()
    items = list(template.items.all())[:10]
    with transaction.atomic():
        institutions = Institution.objects.bulk_create(
            [
                Institution(
                    name=f"基准机构{n}",
                    kind="township_elder_care",
                    township=f"基准镇{n % 20}",
                    area=Area.RURAL if n % 3 else Area.URBAN,
                )
                for n in range(200)
            ]
        )
        rounds = [
            InspectionRound.objects.create(
                name=f"基准轮次{r}",
                starts_on=today - dt.timedelta(days=150 - 30 * r),
                ends_on=today - dt.timedelta(days=140 - 30 * r),
            )
            for r in range(5)
        ]
        visits = Visit.objects.bulk_create(
            [
                Visit(
                    inspection_round=rnd,
                    institution=inst,
                    planned_on=rnd.starts_on,
                    template=template,
                    state=VisitState.DONE,
                )
                for rnd in rounds
                for inst in institutions
            ]
        )
        ChecklistAnswer.objects.bulk_create(
            [
                ChecklistAnswer(visit=v, item=item, answer=Answer.PASS if rng.random() < 0.8 else Answer.FAIL)
                for v in visits
                for item in items
            ],
            batch_size=5000,
        )
        stages = ["reported", "assigned", "in_progress", "submitted", "closed", "closed", "closed"]
        issues = []
        for n in range(issue_count):
            visit = visits[rng.randrange(len(visits))]
            found = visit.planned_on + dt.timedelta(days=rng.randrange(3))
            issues.append(
                Issue(
                    number=f"BZ-{n:06d}",
                    title=f"基准问题{n}",
                    category=categories[n % len(categories)],
                    institution_id=visit.institution_id,
                    visit=visit,
                    found_on=found,
                    severity="medium",
                    deadline=found + dt.timedelta(days=rng.randrange(1, 40)),
                    stage=stages[rng.randrange(len(stages))],
                )
            )
        Issue.objects.bulk_create(issues, batch_size=5000)
        closed = Issue.objects.filter(stage="closed").values_list("pk", flat=True)
        StageTransition.objects.bulk_create(
            [
                StageTransition(
                    issue_id=pk, move="close", from_stage="submitted", to_stage="closed", version=4
                )
                for pk in closed
            ],
            batch_size=5000,
        )
        overdue = (
            Issue.objects.exclude(stage="closed").filter(deadline__lt=today).values_list("pk", "deadline")
        )
        Escalation.objects.bulk_create(
            [
                Escalation(issue_id=pk, level=1 + pk % 3, run_id="bench", deadline=deadline)
                for pk, deadline in overdue
            ],
            batch_size=5000,
        )
        goods = [
            ("医用外科口罩", "只", "masks"),
            ("医用防护服", "套", "suits"),
            ("84消毒液", "瓶", "disinfectant"),
        ]
        entries = []
        for n in range(ledger_count):
            day = today - dt.timedelta(days=rng.randrange(60))
            kind = (EntryKind.CASH, EntryKind.GOODS, EntryKind.ALLOCATION)[n % 3]
            item, unit, category = goods[n % len(goods)]
            if kind == EntryKind.CASH:
                entries.append(
                    LedgerEntry(number=f"BC-{n}", kind=kind, entry_date=day, amount=rng.randrange(1, 5000))
                )
            elif kind == EntryKind.GOODS:
                entries.append(
                    LedgerEntry(
                        number=f"BG-{n}",
                        kind=kind,
                        entry_date=day,
                        item=item,
                        unit=unit,
                        category=category,
                        quantity=rng.randrange(100, 1000),
                    )
                )
            else:
                entries.append(
                    LedgerEntry(
                        number=f"BA-{n}",
                        kind=kind,
                        entry_date=day,
                        item=item,
                        unit=unit,
                        quantity=rng.randrange(1, 100),
                        recipient=institutions[n % len(institutions)],
                    )
                )
        LedgerEntry.objects.bulk_create(entries, batch_size=5000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--ledger", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    setup_django()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    from workflows import roles

    call_command("migrate", verbosity=0)
    leader = get_user_model().objects.create_user("bench-leader", password="x")  # noqa: S106
    leader.groups.add(Group.objects.get(name=roles.group_name(roles.LEADERSHIP)))
    client = Client()
    client.force_login(leader)
    url = "/admin/dashboard/"

    client.get(url)  # warm up templates, URL conf and hooks
    empty = timed(client, url, args.runs, clear_cache=True)
    empty_queries = count_queries(client, url)

    started = time.perf_counter()
    fill(args.issues, args.ledger)
    fill_seconds = time.perf_counter() - started

    full_cold = timed(client, url, args.runs, clear_cache=True)
    full_queries = count_queries(client, url)
    full_warm = timed(client, url, args.runs, clear_cache=False)

    print(f"data: {args.issues:,} issues, {args.ledger:,} ledger rows (inserted in {fill_seconds:.1f} s)")
    print(f"empty dashboard:                 {empty * 1000:8.1f} ms  ({empty_queries} queries)")
    print(
        f"full dashboard, cold cache:      {full_cold * 1000:8.1f} ms  ({full_queries} queries)"
        f"  x{full_cold / empty:.1f} of empty"
    )
    print(f"full dashboard, warm cache:      {full_warm * 1000:8.1f} ms  x{full_warm / empty:.1f} of empty")


if __name__ == "__main__":
    main()
