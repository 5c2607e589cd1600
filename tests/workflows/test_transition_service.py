"""The one transition service: log row, audit entry, idempotency, conflicts, requirements, faults."""

import pytest

from django.db import OperationalError, connection, transaction
from django.urls import reverse

from wagtail.models import ModelLogEntry

from snippets.choices import PhotoKind
from snippets.models import Issue, Photo
from workflows import roles
from workflows.models import StageTransition
from workflows.models.log import AppendOnlyError
from workflows.services import (
    TransitionConflict,
    TransitionNotPermitted,
    TransitionRequirementMissing,
    transition,
)

from .factories import issue_in_stage

pytestmark = pytest.mark.django_db


def test_a_move_writes_one_log_row_with_actor_note_and_evidence_and_one_audit_entry(users):
    unit = users[roles.RESPONSIBLE_UNIT]
    issue = issue_in_stage("in_progress", unit=unit)

    result = transition(issue.pk, "submit", unit, evidence="已补足口罩 2000 只", note="请验收")

    row = result.transition
    assert (row.from_stage, row.to_stage, row.actor, row.version) == ("in_progress", "submitted", unit, 2)
    assert row.evidence == "已补足口罩 2000 只" and row.note == "请验收"
    assert Issue.objects.get(pk=issue.pk).stage == "submitted"
    entry = ModelLogEntry.objects.get(object_id=str(issue.pk), action="workflows.issue.submit")
    assert entry.user_id == unit.pk and entry.data["transition_id"] == row.pk


def test_the_same_request_key_twice_moves_and_logs_once(users):
    leader = users[roles.LEADERSHIP]
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])

    first = transition(issue.pk, "close", leader, request_key="k-1")
    second = transition(issue.pk, "close", leader, request_key="k-1")

    assert first.created and not second.created
    assert second.transition.pk == first.transition.pk
    assert StageTransition.objects.filter(issue=issue).count() == 1
    assert ModelLogEntry.objects.filter(object_id=str(issue.pk), action="workflows.issue.close").count() == 1


def test_a_stale_version_is_refused_naming_who_moved_it_and_when(users, make_user):
    leader = users[roles.LEADERSHIP]
    other = make_user(roles.LEADERSHIP, username="leader2", first_name="刚", last_name="陈")
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    seen_version = issue.stage_version
    transition(issue.pk, "close", other)

    with pytest.raises(TransitionConflict) as caught:
        transition(issue.pk, "close", leader, expected_version=seen_version)

    assert "已被他人处理" in caught.value.message and "陈刚" in caught.value.message
    assert StageTransition.objects.filter(issue=issue).count() == 1


def test_an_approval_seen_before_a_return_and_resubmission_is_refused(users):
    """Stage alone repeats (submitted → in_progress → submitted); the version does not."""
    leader, unit = users[roles.LEADERSHIP], users[roles.RESPONSIBLE_UNIT]
    issue = issue_in_stage("submitted", unit=unit)
    stale = issue.stage_version
    transition(issue.pk, "return", leader, note="照片不清晰")
    transition(issue.pk, "submit", unit, evidence="重新拍照")

    with pytest.raises(TransitionConflict):
        transition(issue.pk, "close", leader, expected_version=stale)
    assert Issue.objects.get(pk=issue.pk).stage == "submitted"


def test_returning_requires_a_reason(users):
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    with pytest.raises(TransitionRequirementMissing):
        transition(issue.pk, "return", users[roles.LEADERSHIP], note="  ")
    assert Issue.objects.get(pk=issue.pk).stage == "submitted"


def test_closure_cannot_be_requested_without_after_photos_when_the_category_requires_them(users):
    unit = users[roles.RESPONSIBLE_UNIT]
    issue = issue_in_stage("in_progress", unit=unit)
    issue.category.requires_after_photos = True
    issue.category.save()

    with pytest.raises(TransitionRequirementMissing):
        transition(issue.pk, "submit", unit, evidence="已整改")
    Photo.objects.create(issue=issue, kind=PhotoKind.BEFORE, original_name="b.jpg", file="photos/b.jpg")
    with pytest.raises(TransitionRequirementMissing):
        transition(issue.pk, "submit", unit, evidence="已整改")
    Photo.objects.create(issue=issue, kind=PhotoKind.AFTER, original_name="a.jpg", file="photos/a.jpg")

    assert transition(issue.pk, "submit", unit, evidence="已整改").transition.to_stage == "submitted"


def test_a_leader_cannot_approve_a_closure_they_requested_themselves(users):
    leader = users[roles.LEADERSHIP]
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT], submitter=leader)
    with pytest.raises(TransitionNotPermitted, match="自己提交"):
        transition(issue.pk, "close", leader)
    assert Issue.objects.get(pk=issue.pk).stage == "submitted"


def test_the_log_is_append_only(users):
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    row = transition(issue.pk, "close", users[roles.LEADERSHIP]).transition
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        StageTransition.objects.filter(pk=row.pk).update(note="x")
    with pytest.raises(AppendOnlyError):
        StageTransition.objects.filter(pk=row.pk).delete()


def test_the_log_and_audit_entry_survive_deleting_the_user(users):
    leader = users[roles.LEADERSHIP]
    leader.first_name, leader.last_name = "刚", "陈"
    leader.save()
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    row = transition(issue.pk, "close", leader).transition
    leader_pk = leader.pk

    leader.delete()

    row = StageTransition.objects.get(pk=row.pk)
    assert row.actor_id is None and row.actor_display == "陈刚"
    assert ModelLogEntry.objects.filter(
        object_id=str(issue.pk), action="workflows.issue.close", user_id=leader_pk
    ).exists()


def test_side_effects_are_queued_only_after_commit_and_never_for_a_rolled_back_move(users, task_queue):
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    before = task_queue.size()

    with pytest.raises(RuntimeError), transaction.atomic():
        transition(issue.pk, "close", users[roles.LEADERSHIP])
        raise RuntimeError("the surrounding request fails")

    assert Issue.objects.get(pk=issue.pk).stage == "submitted"
    assert not StageTransition.objects.filter(issue=issue).exists()
    assert task_queue.size() == before


def _locked_on_log_insert(execute, sql, params, many, context):
    if sql.lstrip().upper().startswith("INSERT") and "workflows_stagetransition" in sql:
        raise OperationalError("database is locked")
    return execute(sql, params, many, context)


def test_a_locked_database_mid_move_keeps_the_previous_stage(users):
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    with connection.execute_wrapper(_locked_on_log_insert), pytest.raises(OperationalError):
        transition(issue.pk, "close", users[roles.LEADERSHIP])
    issue.refresh_from_db()
    assert (issue.stage, issue.stage_version) == ("submitted", 1)
    assert not StageTransition.objects.filter(issue=issue).exists()


def test_a_locked_database_mid_approval_gives_a_friendly_503_not_a_traceback(client, users):
    leader = users[roles.LEADERSHIP]
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    client.force_login(leader)
    url = reverse("workflows_admin:move", args=[issue.pk, "close"])

    with connection.execute_wrapper(_locked_on_log_insert):
        response = client.post(url, {"request_key": "r1", "expected_version": 1})

    assert response.status_code == 503
    assert "系统繁忙" in response.content.decode()
    assert Issue.objects.get(pk=issue.pk).stage == "submitted"
