"""Each role's view of institutions, rounds, visits and issues, tried through the admin by URL."""

import pytest

from django.urls import reverse

from snippets import permissions, services
from snippets.choices import Answer, RoundMode
from snippets.models import Issue
from tests.snippets.factories import InspectionRoundFactory, InstitutionFactory, IssueFactory, VisitFactory
from workflows import roles

pytestmark = pytest.mark.django_db

ALL_STAFF = [roles.INSPECTOR, roles.LEADERSHIP, roles.ADMINISTRATOR]


@pytest.fixture
def world(users):
    own = InstitutionFactory(name="本单位敬老院")
    own.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    other = InstitutionFactory(name="别家敬老院", township="河西乡")
    own_issue = IssueFactory(institution=own, title="本单位的问题")
    other_issue = IssueFactory(institution=other, title="别家的问题")
    return {"own": own, "other": other, "own_issue": own_issue, "other_issue": other_issue}


def issue_url(name, issue):
    return reverse(f"wagtailsnippets_snippets_issue:{name}", args=[issue.pk])


def test_a_responsible_unit_lists_only_its_own_institutions_issues(client, users, world):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    response = client.get(reverse("wagtailsnippets_snippets_issue:list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "本单位的问题" in content
    assert "别家的问题" not in content


@pytest.mark.parametrize("view", ["edit", "delete", "inspect", "history", "usage", "copy"])
def test_a_responsible_unit_cannot_reach_another_institutions_issue_by_url(client, users, world, view):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    try:
        url = issue_url(view, world["other_issue"])
    except Exception:  # noqa: BLE001 - a view this viewset does not have cannot leak either
        pytest.skip(f"no {view} view")
    assert client.get(url).status_code in (403, 404)


def test_a_responsible_unit_opens_its_own_issue_but_may_change_only_rectification_fields(
    client, users, world
):
    unit = users[roles.RESPONSIBLE_UNIT]
    client.force_login(unit)
    issue = world["own_issue"]
    assert client.get(issue_url("edit", issue)).status_code == 200
    response = client.post(
        issue_url("edit", issue),
        {
            "title": "改掉标题",
            "category": issue.category_id,
            "institution": world["other"].pk,
            "severity": "high",
            "found_on": "2026-11-20",
            "deadline": "2026-12-30",
            "description": "",
            "rectification_plan": "已补充口罩500只",
            "responsible_person": unit.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    issue.refresh_from_db()
    assert issue.rectification_plan == "已补充口罩500只"
    assert issue.title == "本单位的问题"
    assert issue.institution == world["own"]
    assert str(issue.deadline) == "2026-11-27"


def test_a_responsible_unit_export_contains_only_its_own_issues(client, users, world):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    response = client.get(reverse("wagtailsnippets_snippets_issue:list") + "?export=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert world["own_issue"].number in body
    assert world["other_issue"].number not in body


def test_a_responsible_unit_search_finds_nothing_of_other_institutions(client, users, world):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    response = client.get(reverse("wagtailsnippets_snippets_issue:list_results"), {"q": "别家"})
    assert response.status_code == 200
    assert "别家的问题" not in response.content.decode()


@pytest.mark.parametrize("role", ALL_STAFF)
def test_inspectors_leadership_and_administrators_see_every_issue(client, users, world, role):
    client.force_login(users[role])
    content = client.get(reverse("wagtailsnippets_snippets_issue:list")).content.decode()
    assert "本单位的问题" in content and "别家的问题" in content
    assert client.get(issue_url("inspect", world["other_issue"])).status_code == 200
    edit = client.get(issue_url("edit", world["other_issue"]))
    if role == roles.LEADERSHIP:
        # Leadership reads; Wagtail answers a missing model permission with a redirect home.
        assert edit.status_code == 302 and edit["Location"] == "/admin/"
    else:
        assert edit.status_code == 200


def test_communications_staff_have_no_issue_admin(client, users, world):
    client.force_login(users[roles.COMMUNICATIONS])
    assert client.get(reverse("wagtailsnippets_snippets_issue:list")).status_code in (302, 403)
    assert client.get(issue_url("edit", world["own_issue"])).status_code in (302, 403, 404)


def test_anonymous_users_are_sent_to_the_login(client, world):
    response = client.get(reverse("wagtailsnippets_snippets_issue:list"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_scope_functions_per_role(users, world):
    assert set(permissions.institutions_for(users[roles.RESPONSIBLE_UNIT])) == {world["own"]}
    assert set(permissions.issues_for(users[roles.RESPONSIBLE_UNIT])) == {world["own_issue"]}
    for role in [*ALL_STAFF, roles.COMMUNICATIONS]:
        assert permissions.institutions_for(users[role]).count() == 2
        assert permissions.issues_for(users[role]).count() == 2
    assert not permissions.visits_for(users[roles.COMMUNICATIONS]).exists()


@pytest.fixture
def unannounced_visit(users, world):
    inspection_round = InspectionRoundFactory(mode=RoundMode.UNANNOUNCED, name="暗访第一轮")
    return VisitFactory(inspection_round=inspection_round, institution=world["own"])


def test_an_unannounced_visit_is_hidden_from_the_responsible_unit_until_done(
    client, users, unannounced_visit
):
    unit = users[roles.RESPONSIBLE_UNIT]
    visit = unannounced_visit
    assert not permissions.visits_for(unit).exists()
    assert not permissions.rounds_for(unit).exists()
    client.force_login(unit)
    assert "暗访第一轮" not in client.get(reverse("wagtailsnippets_snippets_visit:list")).content.decode()
    assert client.get(reverse("wagtailsnippets_snippets_visit:edit", args=[visit.pk])).status_code == 404
    assert client.get(reverse("snippets_visit_checklist", args=[visit.pk])).status_code == 404
    assert (
        client.get(
            reverse("wagtailsnippets_snippets_inspectionround:edit", args=[visit.inspection_round.pk])
        ).status_code
        == 404
    )

    for answer in services.ensure_answers(visit):
        answer.answer = Answer.FAIL if answer.item.category.code == "disinfection" else Answer.PASS
        answer.save()
    services.complete_visit(visit, users[roles.INSPECTOR])

    assert list(permissions.visits_for(unit)) == [visit]
    assert list(permissions.rounds_for(unit)) == [visit.inspection_round]
    assert client.get(reverse("snippets_visit_checklist", args=[visit.pk])).status_code == 200
    raised = Issue.objects.get(visit=visit)
    assert raised in permissions.issues_for(unit)


@pytest.mark.parametrize("role", ALL_STAFF)
def test_staff_roles_see_an_unannounced_visit_before_it_happens(client, users, unannounced_visit, role):
    assert unannounced_visit in permissions.visits_for(users[role])
    client.force_login(users[role])
    assert client.get(reverse("snippets_visit_checklist", args=[unannounced_visit.pk])).status_code == 200


def test_communications_staff_never_see_unannounced_plans(client, users, unannounced_visit):
    comms = users[roles.COMMUNICATIONS]
    assert not permissions.visits_for(comms).exists()
    assert not permissions.rounds_for(comms).exists()
    client.force_login(comms)
    assert client.get(reverse("snippets_visit_checklist", args=[unannounced_visit.pk])).status_code == 404
    assert client.get(reverse("snippets_visit_list")).status_code in (302, 403)


def test_an_issue_logged_by_hand_on_a_planned_unannounced_visit_stays_hidden(users, unannounced_visit):
    issue = IssueFactory(institution=unannounced_visit.institution, visit=unannounced_visit)
    assert issue not in permissions.issues_for(users[roles.RESPONSIBLE_UNIT])
    assert issue not in permissions.issues_for(users[roles.COMMUNICATIONS])
    assert issue in permissions.issues_for(users[roles.INSPECTOR])


def api_numbers(client):
    response = client.get("/api/v2/issues/")
    assert response.status_code == 200
    return {item["number"] for item in response.json()["items"]}


def test_the_issues_api_is_scoped_like_the_admin(client, users, world):
    own, other = world["own_issue"].number, world["other_issue"].number
    assert api_numbers(client) == set()
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    assert api_numbers(client) == {own}
    assert client.get(f"/api/v2/issues/{world['other_issue'].pk}/").status_code == 404
    detail = client.get(f"/api/v2/issues/{world['own_issue'].pk}/").json()
    assert detail["institution_name"] == "本单位敬老院"
    client.force_login(users[roles.INSPECTOR])
    assert api_numbers(client) == {own, other}


def test_a_responsible_units_issue_form_lists_no_hidden_visit_or_other_institution(
    client, users, world, unannounced_visit
):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    content = client.get(issue_url("edit", world["own_issue"])).content.decode()
    assert "本单位敬老院" in content
    assert "暗访第一轮" not in content
    assert "别家敬老院" not in content


def test_the_issue_form_shows_its_photos_through_the_checked_view(client, users, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from snippets.images import sanitise_image
    from tests.snippets.factories import make_jpeg

    clean = sanitise_image(SimpleUploadedFile("a.jpg", make_jpeg()))
    [photo] = services.store_photos([clean], users[roles.INSPECTOR], issue=world["own_issue"])
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    content = client.get(issue_url("edit", world["own_issue"])).content.decode()
    assert f'src="/inspection-photos/{photo.pk}/"' in content


def test_the_issue_chooser_lists_searches_and_returns_only_visible_issues(client, users, world):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    choose = client.get(reverse("wagtailsnippetchoosers_snippets_issue:choose"))
    assert choose.status_code == 200
    text = choose.content.decode()
    assert world["own_issue"].number in text and world["other_issue"].number not in text
    results = client.get(reverse("wagtailsnippetchoosers_snippets_issue:choose_results"), {"q": "问题"})
    assert results.status_code == 200
    assert world["other_issue"].number not in results.content.decode()
    assert world["own_issue"].number in results.content.decode()
    chosen = reverse("wagtailsnippetchoosers_snippets_issue:chosen", args=[world["other_issue"].pk])
    assert client.get(chosen).status_code == 404
    own = reverse("wagtailsnippetchoosers_snippets_issue:chosen", args=[world["own_issue"].pk])
    assert client.get(own).status_code == 200


def test_the_visit_chooser_hides_a_planned_unannounced_visit_from_the_unit(client, users, unannounced_visit):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    response = client.get(reverse("wagtailsnippetchoosers_snippets_visit:choose"))
    assert "暗访第一轮" not in response.content.decode()
    chosen = reverse("wagtailsnippetchoosers_snippets_visit:chosen", args=[unannounced_visit.pk])
    assert client.get(chosen).status_code in (403, 404)
