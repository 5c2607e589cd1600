"""Demo rectification for `seed_demo`: moves some demo issues along the stages through the one
transition service, so the timeline, queue, ledger and dashboard have something to show.

Idempotent: every move has a deterministic request key, so a second run repeats nothing.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from snippets.models import Institution, Issue
from workflows import roles, services
from workflows.calendar import UnknownCalendarYear, add_working_days
from workflows.choices import Stage
from workflows.demo import DEMO_PASSWORD

# What happens to the n-th demo issue (cycled).
PLANS = (
    (),
    ("assign",),
    ("assign", "acknowledge"),
    ("assign", "acknowledge", "submit"),
    ("assign", "acknowledge", "submit", "close"),
    ("assign", "acknowledge", "submit", "return"),
)
EXTRA_UNITS = 6


DEMO_UNIT_NAMES = tuple(f"unit{n}" for n in range(2, 2 + EXTRA_UNITS))


def _demo_unit(institution, username):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": "责任人",
            "last_name": institution.name[:10],
            "email": f"{username}@example.org",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get(name=roles.group_name(roles.RESPONSIBLE_UNIT)))
    institution.responsible_users.add(user)
    return user


def _demo_institutions():
    """The unit's own institution plus a few more, each with one demo account (stable across runs)."""
    with_issues = Institution.objects.filter(issues__isnull=False).distinct().order_by("name")
    chosen = [
        (i, i.responsible_users.get(username="unit"))
        for i in with_issues.filter(responsible_users__username="unit")
    ]
    used = {}
    for institution in with_issues.filter(responsible_users__username__in=DEMO_UNIT_NAMES):
        user = institution.responsible_users.filter(username__in=DEMO_UNIT_NAMES).first()
        used[user.username] = (institution, user)
    free = iter(with_issues.filter(responsible_users__isnull=True))
    for username in DEMO_UNIT_NAMES:
        if username not in used:
            institution = next(free, None)
            if institution is None:
                break
            used[username] = (institution, _demo_unit(institution, username))
    return chosen + [used[name] for name in DEMO_UNIT_NAMES if name in used]


def seed_rectification(stdout):
    User = get_user_model()
    inspector = User.objects.filter(username="inspector").first()
    leader = User.objects.filter(username="leader").first()
    if inspector is None or leader is None or not Issue.objects.exists():
        stdout.write("  no demo users or issues, nothing to move")
        return
    moved = position = 0
    for institution, unit in _demo_institutions():
        for issue in institution.issues.order_by("found_on", "pk"):
            position += 1
            for step, name in enumerate(PLANS[position % len(PLANS)]):
                moved += _move(
                    issue,
                    name,
                    step,
                    {"assign": inspector, "close": leader, "return": leader}.get(name, unit),
                )
    counts = {stage.label: Issue.objects.filter(stage=stage).count() for stage in Stage}
    stdout.write(f"  {moved} moves made; issues by stage: {counts}")


def _move(issue, name, step, actor):
    issue.refresh_from_db()
    extra = {}
    if name == "assign":
        try:
            deadline = add_working_days(issue.found_on, issue.category.default_deadline_days)
        except UnknownCalendarYear:
            deadline = issue.deadline
        extra = {"responsible_person": issue.institution.responsible_users.first(), "deadline": deadline}
    try:
        result = services.transition(
            issue.pk,
            name,
            actor,
            request_key=f"demo:{issue.pk}:{step}:{name}",
            evidence="已按要求整改，附整改记录。" if name == "submit" else "",
            note="整改照片不清晰，请补充。" if name == "return" else "",
            **extra,
        )
    except services.TransitionError:
        # Already further along (a rerun), or a category needing after-photos: leave it there.
        return 0
    return int(result.created)
