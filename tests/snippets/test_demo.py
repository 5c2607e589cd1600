import io

import pytest

from django.contrib.auth import get_user_model

from snippets.choices import RoundMode, VisitState
from snippets.demo import seed_inspections
from snippets.models import InspectionRound, Institution, Issue, IssueCategory
from snippets.permissions import issues_for, visits_for
from workflows.demo import seed_users

pytestmark = pytest.mark.django_db


def test_the_demo_inspections_cover_townships_rounds_and_every_category_and_are_idempotent():
    out = io.StringIO()
    seed_users(out)
    seed_inspections(out)

    assert Institution.objects.count() >= 28
    assert Institution.objects.values("township").distinct().count() == 8
    assert (
        Institution.objects.filter(area="rural").exists()
        and Institution.objects.filter(area="urban").exists()
    )
    rounds = InspectionRound.objects.all()
    assert rounds.count() == 4
    assert rounds.filter(mode=RoundMode.UNANNOUNCED, sealed_at__isnull=False).count() == 2
    issues = Issue.objects.count()
    assert 55 <= issues <= 80
    used = set(Issue.objects.values_list("category__code", flat=True))
    assert used == set(IssueCategory.objects.values_list("code", flat=True))

    seed_inspections(out)
    assert Issue.objects.count() == issues
    assert InspectionRound.objects.count() == 4


def test_the_demo_unit_sees_only_its_home_and_no_planned_unannounced_visit():
    out = io.StringIO()
    seed_users(out)
    seed_inspections(out)
    unit = get_user_model().objects.get(username="unit")
    assert set(issues_for(unit).values_list("institution__name", flat=True)) <= {"城关镇敬老院"}
    assert (
        not visits_for(unit)
        .filter(inspection_round__mode=RoundMode.UNANNOUNCED, state=VisitState.PLANNED)
        .exists()
    )
