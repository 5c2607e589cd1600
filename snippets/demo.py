"""Demo inspections for `seed_demo`: institutions in eight townships, four rounds (two unannounced,
drawn at random), visits with checklists, and about sixty issues over every category. Idempotent."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from snippets import services
from snippets.choices import Answer, Area, InstitutionKind, RoundMode, VisitState
from snippets.models import (
    ChecklistTemplate,
    InspectionRound,
    InspectorProfile,
    Institution,
    Issue,
    IssueCategory,
    Visit,
)
from workflows import roles
from workflows.demo import DEMO_PASSWORD

TOWNSHIPS = [
    ("城关镇", Area.URBAN),
    ("南湖街道", Area.URBAN),
    ("东城街道", Area.URBAN),
    ("河西乡", Area.RURAL),
    ("东山镇", Area.RURAL),
    ("北岭乡", Area.RURAL),
    ("石桥镇", Area.RURAL),
    ("青山乡", Area.RURAL),
]

# username, full name, home township
EXTRA_INSPECTORS = [
    ("inspector2", "督查 王芳", "河西乡"),
    ("inspector3", "督查 刘洋", "东山镇"),
    ("inspector4", "督查 孙磊", "南湖街道"),
]


def _institutions():
    rows = []
    for index, (township, area) in enumerate(TOWNSHIPS):
        rows.append((f"{township}敬老院", InstitutionKind.TOWNSHIP_ELDER_CARE, township, area))
        rows.append((f"{township}民政所", InstitutionKind.CIVIL_AFFAIRS_OFFICE, township, area))
        rows.append((f"{township}康乐养老院", InstitutionKind.PRIVATE_ELDER_CARE, township, area))
        if index % 2 == 0:
            rows.append((f"{township}颐养中心", InstitutionKind.PRIVATE_ELDER_CARE, township, area))
    rows.append(("市社会福利院", InstitutionKind.WELFARE_HOME, "东城街道", Area.URBAN))
    rows.append(("市殡仪馆", InstitutionKind.FUNERAL_HOME, "南湖街道", Area.URBAN))
    rows.append(("北岭殡仪服务站", InstitutionKind.FUNERAL_HOME, "北岭乡", Area.RURAL))
    return rows


def seed_inspections(stdout):
    rng = random.Random(2026)  # noqa: S311 - demo data, reproducible
    User = get_user_model()
    institutions = []
    for name, kind, township, area in _institutions():
        beds = rng.randint(30, 200) if kind != InstitutionKind.CIVIL_AFFAIRS_OFFICE else 0
        institution, _created = Institution.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "township": township,
                "area": area,
                "address": f"{township}{rng.randint(1, 99)}号",
                "contact_person": "张" + "明伟芳军丽强"[rng.randint(0, 5)],
                "contact_phone": f"0571-{rng.randint(1000000, 9999999)}",
                "beds": beds,
                "residents": int(beds * rng.uniform(0.5, 0.95)),
                "staff": rng.randint(3, 40),
            },
        )
        institutions.append(institution)
    stdout.write(f"  {len(institutions)} institutions in {len(TOWNSHIPS)} townships")

    unit = User.objects.filter(username="unit").first()
    if unit is not None:
        Institution.objects.get(name="城关镇敬老院").responsible_users.add(unit)

    inspector_group = Group.objects.get(name=roles.group_name(roles.INSPECTOR))
    inspectors = []
    main = User.objects.filter(username="inspector").first()
    if main is not None:
        InspectorProfile.objects.get_or_create(user=main, defaults={"township": "城关镇"})
        inspectors.append(main)
    for username, full_name, township in EXTRA_INSPECTORS:
        last_name, first_name = full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.org"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(inspector_group)
        InspectorProfile.objects.get_or_create(user=user, defaults={"township": township})
        inspectors.append(user)

    if InspectionRound.objects.filter(name__startswith="【演示】").exists():
        stdout.write("  rounds exist, unchanged")
        return

    today = timezone.localdate()
    elder_care = [i for i in institutions if ChecklistTemplate.for_kind(i.kind) is not None]
    rounds = [
        ("【演示】第一轮明查", RoundMode.OPEN, today - datetime.timedelta(days=40), 12, True),
        ("【演示】第一轮暗访", RoundMode.UNANNOUNCED, today - datetime.timedelta(days=25), 8, True),
        ("【演示】第二轮明查", RoundMode.OPEN, today - datetime.timedelta(days=3), 10, False),
        ("【演示】第二轮暗访", RoundMode.UNANNOUNCED, today + datetime.timedelta(days=5), 6, False),
    ]
    inspector_ids = [user.pk for user in inspectors]
    for name, mode, starts_on, count, finished in rounds:
        inspection_round = InspectionRound.objects.create(
            name=name,
            mode=mode,
            starts_on=starts_on,
            ends_on=starts_on + datetime.timedelta(days=10),
            draw_institution_count=count,
            draw_inspectors_per_visit=2,
            draw_kinds=sorted({i.kind for i in elder_care}),
            created_by=main,
        )
        inspection_round.team.set(inspector_ids)
        if mode == RoundMode.UNANNOUNCED:
            services.draw_round(inspection_round, main, seed=f"demo-{name}")
        else:
            chosen = rng.sample(elder_care, count)
            for index, institution in enumerate(chosen):
                visit = Visit.objects.create(
                    inspection_round=inspection_round,
                    institution=institution,
                    planned_on=starts_on + datetime.timedelta(days=index % 10),
                    template=ChecklistTemplate.for_kind(institution.kind),
                )
                visit.inspectors.set(rng.sample(inspector_ids, 2))
            inspection_round.institutions.set([i.pk for i in chosen])
        if main is not None and not finished:
            # The demo inspector has planned visits to open on a phone.
            for visit in inspection_round.visits.all()[:3]:
                visit.inspectors.set({main.pk, *visit.inspectors.values_list("pk", flat=True)})
        if finished:
            for visit in inspection_round.visits.select_related("institution"):
                _complete(visit, rng, main)
            raised = Issue.objects.filter(visit__inspection_round=inspection_round)
            for issue in raised:
                found_on = issue.visit.planned_on
                Issue.objects.filter(pk=issue.pk).update(
                    found_on=found_on, deadline=services.default_deadline(issue.category, found_on)
                )
            Visit.objects.filter(inspection_round=inspection_round, state=VisitState.DONE).update(
                completed_at=timezone.make_aware(datetime.datetime.combine(starts_on, datetime.time(16)))
            )

    _hand_logged_issues(rng, institutions, main, today)
    counts = (InspectionRound.objects.count(), Visit.objects.count(), Issue.objects.count())
    stdout.write("  {} rounds, {} visits, {} issues".format(*counts))


def _complete(visit, rng, actor):
    for answer in services.ensure_answers(visit):
        roll = rng.random()
        answer.answer = Answer.FAIL if roll < 0.3 else (Answer.NOT_APPLICABLE if roll > 0.95 else Answer.PASS)
        answer.note = "现场检查发现未落实" if answer.answer == Answer.FAIL else ""
        answer.save()
    services.complete_visit(visit, actor)


HAND_LOGGED = [
    ("urban-rural-imbalance", "农村敬老院防控措施明显弱于城区"),
    ("late-screening", "新入职护理员未纳入健康摸排"),
    ("supply-shortage", "N95口罩库存不足三天用量"),
    ("funeral-rules", "告别厅同时段超过15人"),
    ("visits-not-suspended", "周末仍有家属入院探视"),
    ("gathering-no-masks", "集中用餐时工作人员未戴口罩"),
    ("disinfection", "消杀记录只有上午一次"),
    ("temperature-checks", "门岗体温枪电量耗尽未检测"),
    ("staff-protection", "工作人员未戴手套接触遗体"),
    ("closed-management", "侧门未上锁，无人值守"),
]


def _hand_logged_issues(rng, institutions, actor, today):
    target = 60
    categories = {category.code: category for category in IssueCategory.objects.all()}
    index = 0
    while Issue.objects.count() < target:
        code, title = HAND_LOGGED[index % len(HAND_LOGGED)]
        index += 1
        category = categories.get(code)
        if category is None:
            continue
        candidates = [
            i
            for i in institutions
            if (code in ("funeral-rules", "staff-protection")) == (i.kind == InstitutionKind.FUNERAL_HOME)
        ]
        found_on = today - datetime.timedelta(days=rng.randint(0, 30))
        Issue.objects.create(
            title=title,
            description=title + "，已现场指出。",
            category=category,
            institution=rng.choice(candidates),
            found_on=found_on,
            reported_by=actor,
            severity=category.default_severity,
            deadline=services.default_deadline(category, found_on),
        )
