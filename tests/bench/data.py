"""Seeded bulk data for the measurements: institutions, visits, issues, ledger rows.

Bulk inserts (no per-row save, no signals): the point is the volume the measured code meets.
Every generator takes the context's seeded `random.Random`, so a run is reproducible.
"""

import datetime as dt

BATCH = 5000
STAGES_MIX = ["reported", "assigned", "in_progress", "submitted", "closed", "closed", "closed"]


def institutions(count=200):
    from snippets.choices import Area, InstitutionKind
    from snippets.models import Institution

    return Institution.objects.bulk_create(
        [
            Institution(
                name=f"基准机构{n}",
                kind=InstitutionKind.TOWNSHIP_ELDER_CARE,
                township=f"基准镇{n % 20}",
                area=Area.RURAL if n % 3 else Area.URBAN,
            )
            for n in range(count)
        ]
    )


def visits(rng, institution_list, today, rounds=5, answers_per_visit=10):
    """Done visits of `rounds` inspection rounds at every institution, with checklist answers."""
    from snippets.choices import Answer, VisitState
    from snippets.models import ChecklistAnswer, ChecklistTemplate, InspectionRound, Visit

    template = ChecklistTemplate.objects.filter(is_active=True).first()
    items = list(template.items.all())[:answers_per_visit] if template else []
    round_list = [
        InspectionRound.objects.create(
            name=f"基准轮次{r}",
            starts_on=today - dt.timedelta(days=150 - 30 * r),
            ends_on=today - dt.timedelta(days=140 - 30 * r),
        )
        for r in range(rounds)
    ]
    visit_list = Visit.objects.bulk_create(
        [
            Visit(
                inspection_round=rnd,
                institution=inst,
                planned_on=rnd.starts_on,
                template=template,
                state=VisitState.DONE,
            )
            for rnd in round_list
            for inst in institution_list
        ]
    )
    ChecklistAnswer.objects.bulk_create(
        [
            ChecklistAnswer(visit=v, item=item, answer=Answer.PASS if rng.random() < 0.8 else Answer.FAIL)
            for v in visit_list
            for item in items
        ],
        batch_size=BATCH,
    )
    return visit_list


def category(code="bench"):
    from snippets.models import IssueCategory

    found = IssueCategory.objects.first()
    if found is not None:
        return found
    return IssueCategory.objects.create(code=code, name="基准测试类别", default_deadline_days=5)


def issues(rng, count, *, institution_list, today, start=0, visit_list=None, stages=None, **fields):
    """`count` issues numbered from `start`. Default: found in a visit (or 30 days ago), a random
    stage of STAGES_MIX, a deadline 1-40 days after it was found. `fields` override any column."""
    from snippets.models import Issue, IssueCategory

    categories = list(IssueCategory.objects.all()) or [category()]
    stages = stages or STAGES_MIX
    rows = []
    for n in range(start, start + count):
        if visit_list:
            visit = visit_list[rng.randrange(len(visit_list))]
            found = visit.planned_on + dt.timedelta(days=rng.randrange(3))
            institution_id = visit.institution_id
        else:
            visit, found = None, today - dt.timedelta(days=30)
            institution_id = institution_list[n % len(institution_list)].pk
        values = {
            "number": f"BZ-{n:07d}",
            "title": f"基准问题{n}",
            "category": categories[n % len(categories)],
            "institution_id": institution_id,
            "visit": visit,
            "found_on": found,
            "severity": "medium",
            "deadline": found + dt.timedelta(days=rng.randrange(1, 40)),
            "stage": stages[rng.randrange(len(stages))],
        }
        values.update(fields)
        rows.append(Issue(**values))
        if len(rows) >= BATCH:
            Issue.objects.bulk_create(rows)
            rows = []
    Issue.objects.bulk_create(rows)


def workflow_history(today):
    """Transitions of the closed issues and escalations of the overdue ones (what the dashboard reads)."""
    from snippets.models import Issue
    from workflows.models import Escalation, StageTransition

    closed = Issue.objects.filter(stage="closed").values_list("pk", flat=True)
    StageTransition.objects.bulk_create(
        [
            StageTransition(issue_id=pk, move="close", from_stage="submitted", to_stage="closed", version=4)
            for pk in closed.iterator()
        ],
        batch_size=BATCH,
    )
    overdue = Issue.objects.exclude(stage="closed").filter(deadline__lt=today).values_list("pk", "deadline")
    Escalation.objects.bulk_create(
        [
            Escalation(issue_id=pk, level=1 + pk % 3, run_id="bench", deadline=deadline)
            for pk, deadline in overdue.iterator()
        ],
        batch_size=BATCH,
    )


GOODS = [("医用外科口罩", "只", "masks"), ("医用防护服", "套", "suits"), ("84消毒液", "瓶", "disinfectant")]


def ledger(rng, count, *, today, institution_list=None, start=0, days=60):
    """`count` ledger rows (cash, goods, allocations in turn) over the last `days` days."""
    from home.ledger.models import EntryKind, LedgerEntry

    rows = []
    for n in range(start, start + count):
        day = today - dt.timedelta(days=rng.randrange(days))
        kind = (EntryKind.CASH, EntryKind.GOODS, EntryKind.ALLOCATION)[n % 3]
        item, unit, goods_category = GOODS[n % len(GOODS)]
        if kind == EntryKind.CASH:
            row = LedgerEntry(number=f"BC-{n}", kind=kind, entry_date=day, amount=rng.randrange(1, 5000))
        elif kind == EntryKind.GOODS:
            row = LedgerEntry(
                number=f"BG-{n}",
                kind=kind,
                entry_date=day,
                item=item,
                unit=unit,
                category=goods_category,
                quantity=rng.randrange(100, 1000),
            )
        else:
            row = LedgerEntry(
                number=f"BA-{n}",
                kind=kind,
                entry_date=day,
                item=item,
                unit=unit,
                quantity=rng.randrange(1, 100),
                recipient=institution_list[n % len(institution_list)] if institution_list else None,
                recipient_name="基准接收单位",
            )
        rows.append(row)
        if len(rows) >= BATCH:
            LedgerEntry.objects.bulk_create(rows)
            rows = []
    LedgerEntry.objects.bulk_create(rows)
