import pytest

from snippets import services
from snippets.choices import Answer, InstitutionKind, VisitState
from snippets.models import ChecklistTemplate, Issue
from tests.snippets.factories import InstitutionFactory, VisitFactory

pytestmark = pytest.mark.django_db


def answer_all(visit, failing_texts=(), note="现场未见记录"):
    answers = services.ensure_answers(visit)
    for answer in answers:
        failed = answer.item.text in failing_texts
        answer.answer = Answer.FAIL if failed else Answer.PASS
        answer.note = note if failed else ""
        answer.save()
    return answers


def test_the_seeded_templates_cover_elder_care_and_funeral_homes():
    elder = ChecklistTemplate.for_kind(InstitutionKind.TOWNSHIP_ELDER_CARE)
    funeral = ChecklistTemplate.for_kind(InstitutionKind.FUNERAL_HOME)
    assert [item.text for item in elder.items.all()][1] == "暂停家属探视，有告知公示"
    assert len(elder.items.all()) == 6
    assert "告别仪式参加人数不超过15人" in [item.text for item in funeral.items.all()]


def test_a_visit_gets_one_answer_per_template_item_for_its_institution_kind():
    visit = VisitFactory(institution=InstitutionFactory(kind=InstitutionKind.FUNERAL_HOME))
    answers = services.ensure_answers(visit)
    assert len(answers) == 6
    assert len(services.ensure_answers(visit)) == 6
    assert visit.answers.count() == 6


def test_completing_a_visit_raises_one_issue_per_failed_item(users):
    visit = VisitFactory()
    answers = answer_all(
        visit, failing_texts={"公共区域每日二次消杀并有记录", "实行封闭管理，出入口专人值守、登记"}
    )

    raised = services.complete_visit(visit, users["inspector"])

    assert len(raised) == 2
    visit.refresh_from_db()
    assert visit.state == VisitState.DONE
    disinfection = Issue.objects.get(category__code="disinfection")
    assert disinfection.visit == visit
    assert disinfection.institution == visit.institution
    assert disinfection.severity == "medium"
    assert disinfection.description == "现场未见记录"
    assert disinfection.reported_by == users["inspector"]
    # The category's default deadline (3 days for disinfection).
    assert (disinfection.deadline - disinfection.found_on).days == 3
    closed = Issue.objects.get(category__code="closed-management")
    assert closed.severity == "high"
    assert {issue.checklist_answer_id for issue in raised} <= {answer.pk for answer in answers}


def test_completing_a_visit_twice_raises_nothing_more(users):
    visit = VisitFactory()
    answer_all(visit, failing_texts={"公共区域每日二次消杀并有记录"})
    assert len(services.complete_visit(visit, users["inspector"])) == 1
    assert services.complete_visit(visit, users["inspector"]) == []
    assert Issue.objects.count() == 1


def test_a_visit_with_unanswered_items_cannot_be_completed(users):
    visit = VisitFactory()
    services.ensure_answers(visit)
    with pytest.raises(services.VisitError, match="还有检查项未填写"):
        services.complete_visit(visit, users["inspector"])
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED
