"""The issue page (timeline, exactly the allowed buttons) and the leader's closure-request queue."""

import pytest

from django.urls import reverse

from snippets.models import Issue
from workflows import roles
from workflows.models import StageTransition
from workflows.services import transition

from .factories import InstitutionFactory, issue_in_stage

pytestmark = pytest.mark.django_db


def _buttons(html):
    return {
        name
        for name in ("assign", "acknowledge", "submit", "close", "return")
        if f'data-move-form="{name}"' in html
    }


def test_the_issue_page_offers_each_role_exactly_its_moves_now(client, users):
    unit = users[roles.RESPONSIBLE_UNIT]
    issue = issue_in_stage("submitted", unit=unit)
    expected = {roles.LEADERSHIP: {"close", "return"}, roles.INSPECTOR: set(), roles.RESPONSIBLE_UNIT: set()}
    for role_key, moves in expected.items():
        client.force_login(users[role_key])
        response = client.get(reverse("workflows_admin:issue", args=[issue.pk]))
        assert response.status_code == 200
        assert _buttons(response.content.decode()) == moves, role_key


def test_the_timeline_lists_every_move_with_actor_and_reason(client, users):
    unit, leader = users[roles.RESPONSIBLE_UNIT], users[roles.LEADERSHIP]
    issue = issue_in_stage("in_progress", unit=unit)
    transition(issue.pk, "submit", unit, evidence="已补发口罩")
    transition(issue.pk, "return", leader, note="缺少签收单")
    client.force_login(unit)
    html = client.get(reverse("workflows_admin:issue", args=[issue.pk])).content.decode()
    assert html.count("data-move=") == 2
    assert "已补发口罩" in html and "缺少签收单" in html
    assert _buttons(html) == {"submit"}


def test_a_unit_cannot_open_another_institutions_issue(client, users, make_user):
    other = make_user(roles.RESPONSIBLE_UNIT, username="other-unit")
    InstitutionFactory().responsible_users.add(other)
    issue = issue_in_stage("assigned", unit=users[roles.RESPONSIBLE_UNIT])
    client.force_login(other)
    assert client.get(reverse("workflows_admin:issue", args=[issue.pk])).status_code == 404
    response = client.post(
        reverse("workflows_admin:move", args=[issue.pk, "acknowledge"]), {"expected_version": 1}
    )
    assert response.status_code == 404
    assert Issue.objects.get(pk=issue.pk).stage == "assigned"


def test_submitting_through_the_page_records_the_evidence(client, users):
    unit = users[roles.RESPONSIBLE_UNIT]
    issue = issue_in_stage("in_progress", unit=unit)
    client.force_login(unit)
    response = client.post(
        reverse("workflows_admin:move", args=[issue.pk, "submit"]),
        {"request_key": "s1", "expected_version": 1, "evidence": "消毒记录已补齐"},
    )
    assert response.status_code == 302
    assert StageTransition.objects.get(issue=issue).evidence == "消毒记录已补齐"


def test_the_leader_approves_and_returns_closure_requests_in_bulk(client, users):
    unit, leader = users[roles.RESPONSIBLE_UNIT], users[roles.LEADERSHIP]
    a, b, c = (issue_in_stage("submitted", unit=unit) for _ in range(3))
    client.force_login(leader)
    queue = client.get(reverse("workflows_admin:queue")).content.decode()
    assert all(issue.number in queue for issue in (a, b, c))

    client.post(
        reverse("workflows_admin:queue"), {"issue": [a.pk, b.pk], "action": "close", "bulk_key": "k1"}
    )
    response = client.post(
        reverse("workflows_admin:queue"), {"issue": [c.pk], "action": "return", "bulk_key": "k2"}
    )
    assert Issue.objects.get(pk=c.pk).stage == "submitted"  # a return needs a reason
    assert response.status_code == 302
    client.post(
        reverse("workflows_admin:queue"),
        {"issue": [c.pk], "action": "return", "reason": "照片不清", "bulk_key": "k3"},
    )
    # The same bulk POST again changes nothing.
    client.post(
        reverse("workflows_admin:queue"), {"issue": [a.pk, b.pk], "action": "close", "bulk_key": "k1"}
    )

    stages = dict(Issue.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "stage"))
    assert stages == {a.pk: "closed", b.pk: "closed", c.pk: "in_progress"}
    assert StageTransition.objects.filter(issue__in=[a, b], to_stage="closed").count() == 2


@pytest.mark.parametrize("role_key", [roles.COMMUNICATIONS, roles.RESPONSIBLE_UNIT, roles.ADMINISTRATOR])
def test_roles_without_closure_rights_cannot_use_the_queue(client, users, role_key):
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    client.force_login(users[role_key])
    response = client.post(reverse("workflows_admin:queue"), {"issue": [issue.pk], "action": "close"})
    assert response.status_code == 403
    assert Issue.objects.get(pk=issue.pk).stage == "submitted"


def test_wagtails_history_shows_the_moves_with_their_labels(users):
    from wagtail.log_actions import registry
    from wagtail.models import ModelLogEntry

    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    transition(issue.pk, "close", users[roles.LEADERSHIP])
    entry = ModelLogEntry.objects.get(object_id=str(issue.pk))
    assert entry.action == "workflows.issue.close"
    assert str(registry.get_action_label("workflows.issue.close")) == "审批销号"


def test_the_permission_policy_in_wagtails_registry_answers_from_the_table(users):
    from wagtail.permissions import policy_registry

    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    policy = policy_registry.get_by_type(StageTransition)
    assert policy.user_has_permission_for_instance(users[roles.LEADERSHIP], "close", issue)
    assert not policy.user_has_permission_for_instance(users[roles.INSPECTOR], "close", issue)
    assert not policy.user_has_permission_for_instance(users[roles.COMMUNICATIONS], "close", issue)


def test_after_photos_uploaded_with_the_closure_request_show_beside_the_before_photos(client, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from snippets.models import Photo
    from tests.snippets.factories import make_jpeg

    unit = users[roles.RESPONSIBLE_UNIT]
    issue = issue_in_stage("in_progress", unit=unit)
    issue.category.requires_after_photos = True
    issue.category.save()
    client.force_login(unit)
    url = reverse("workflows_admin:move", args=[issue.pk, "submit"])

    refused = client.post(url, {"request_key": "p1", "expected_version": 1, "evidence": "已整改"})
    assert refused.status_code == 400 and "整改后照片" in refused.content.decode()

    photo = SimpleUploadedFile("after.jpg", make_jpeg(), content_type="image/jpeg")
    response = client.post(
        url, {"request_key": "p2", "expected_version": 1, "evidence": "已整改", "after_photos": [photo]}
    )
    assert response.status_code == 302
    assert Issue.objects.get(pk=issue.pk).stage == "submitted"
    after = Photo.objects.get(issue=issue)
    assert after.kind == "after"
    client.force_login(users[roles.LEADERSHIP])
    html = client.get(reverse("workflows_admin:issue", args=[issue.pk])).content.decode()
    assert "整改后" in html and after.get_absolute_url() in html
