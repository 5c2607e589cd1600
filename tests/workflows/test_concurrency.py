"""Two approvers at once, and a double-submitted POST (RELIABILITY items 23 and 24).

Real threads, each with its own database connection, on the file-based SQLite test database (the
same test runs on PostgreSQL in CI): the compare-and-set UPDATE decides, not select_for_update.
"""

import threading

import pytest

from django.db import connection
from django.test import Client
from django.urls import reverse

from wagtail.models import ModelLogEntry

from snippets.models import Issue
from workflows import roles
from workflows.models import StageTransition

from .factories import issue_in_stage


def _post_together(posts):
    """Send each (user, url, data) POST from its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(posts))
    responses = [None] * len(posts)
    errors = []

    def run(index, user, url, data):
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=10)
            responses[index] = client.post(url, data)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return responses


@pytest.mark.django_db(transaction=True)
def test_two_leaders_approving_at_once_close_the_item_exactly_once(users, make_user):
    first = users[roles.LEADERSHIP]
    second = make_user(roles.LEADERSHIP, username="leader2")
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    url = reverse("workflows_admin:move", args=[issue.pk, "close"])

    responses = _post_together(
        [
            (first, url, {"request_key": "a", "expected_version": 1}),
            (second, url, {"request_key": "b", "expected_version": 1}),
        ]
    )

    codes = sorted(response.status_code for response in responses)
    assert codes == [302, 409]
    loser = next(response for response in responses if response.status_code == 409)
    assert "已被他人处理" in loser.content.decode()
    assert Issue.objects.get(pk=issue.pk).stage == "closed"
    assert StageTransition.objects.filter(issue=issue, to_stage="closed").count() == 1
    assert ModelLogEntry.objects.filter(object_id=str(issue.pk), action="workflows.issue.close").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_approval_posted_twice_at_once_moves_once_and_answers_both_without_error(users):
    leader = users[roles.LEADERSHIP]
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    url = reverse("workflows_admin:move", args=[issue.pk, "close"])
    data = {"request_key": "same-click", "expected_version": 1}

    responses = _post_together([(leader, url, data), (leader, url, data)])

    assert [response.status_code for response in responses] == [302, 302]
    assert Issue.objects.get(pk=issue.pk).stage == "closed"
    assert StageTransition.objects.filter(issue=issue).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role_key", [roles.INSPECTOR, roles.COMMUNICATIONS, roles.RESPONSIBLE_UNIT])
def test_non_leaders_posting_an_approval_get_403_and_the_item_stays_submitted(client, users, role_key):
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    client.force_login(users[role_key])
    response = client.post(
        reverse("workflows_admin:move", args=[issue.pk, "close"]), {"request_key": "x", "expected_version": 1}
    )
    assert response.status_code in (403, 404)
    assert Issue.objects.get(pk=issue.pk).stage == "submitted"


@pytest.mark.django_db
def test_an_anonymous_approval_is_sent_to_login_and_changes_nothing(client, users):
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    response = client.post(reverse("workflows_admin:move", args=[issue.pk, "close"]), {"expected_version": 1})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Issue.objects.get(pk=issue.pk).stage == "submitted"
