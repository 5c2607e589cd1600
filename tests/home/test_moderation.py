"""Communications edit and submit; only leadership publishes (pages and channels)."""

import pytest

from django.urls import reverse

from wagtail.models import Page, WorkflowState

from home.models import AppealPage, DonationChannel
from home.services import WORKFLOW_NAME, ensure_moderation_workflow
from tests.conftest import TEST_PASSWORD
from tests.home import factories
from tests.home.admin_forms import appeal_form_data, channel_form_data
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(users):
    channel = factories.DonationChannelFactory()
    home, appeal, channels_page = factories.build_site([channel])
    return {"home": home, "appeal": appeal, "channel": channel}


def login(client, user):
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def edit_page(client, page, **kwargs):
    return client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), appeal_form_data(page, **kwargs))


def edit_channel(client, channel, **kwargs):
    return client.post(
        reverse("wagtailsnippets_home_donationchannel:edit", args=[channel.pk]),
        channel_form_data(channel, **kwargs),
    )


def test_the_leadership_workflow_covers_the_page_tree_and_channels_and_is_idempotent():
    first = ensure_moderation_workflow()
    second = ensure_moderation_workflow()
    assert first.pk == second.pk and first.name == WORKFLOW_NAME
    task = first.tasks.get().specific
    assert [group.name for group in task.groups.all()] == [roles.group_name(roles.LEADERSHIP)]
    assert Page.get_first_root_node().get_workflow().pk == first.pk
    assert DonationChannel().get_workflow().pk == first.pk


def test_communications_cannot_publish_an_appeal_by_a_crafted_publish_post(client, users, site):
    appeal = site["appeal"]
    login(client, users[roles.COMMUNICATIONS])
    response = edit_page(client, appeal, action="action-publish", lead="未经审批的导语")
    assert response.status_code in (200, 302, 403)
    appeal = AppealPage.objects.get(pk=appeal.pk)
    assert appeal.lead != "未经审批的导语"
    assert "未经审批的导语" not in client.get("/appeal/").content.decode()


def test_communications_submit_and_a_leader_approves_before_the_appeal_changes(client, users, site):
    appeal = site["appeal"]
    login(client, users[roles.COMMUNICATIONS])
    response = edit_page(client, appeal, action="action-submit", lead="新的倡议导语")
    assert response.status_code == 302
    state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(appeal.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert "新的倡议导语" not in client.get("/appeal/").content.decode()

    # A communications user cannot approve their own submission.
    task_state = state.current_task_state
    approve_url = reverse("wagtailadmin_pages:workflow_action", args=[appeal.pk, "approve", task_state.pk])
    client.post(approve_url, {"comment": ""})
    assert AppealPage.objects.get(pk=appeal.pk).lead != "新的倡议导语"

    client.logout()
    login(client, users[roles.LEADERSHIP])
    response = client.post(approve_url, {"comment": "同意"})
    assert response.status_code in (200, 302)
    assert AppealPage.objects.get(pk=appeal.pk).lead == "新的倡议导语"
    assert "新的倡议导语" in client.get("/appeal/").content.decode()


def test_a_leader_can_publish_an_appeal_directly(client, users, site):
    login(client, users[roles.LEADERSHIP])
    response = edit_page(client, site["appeal"], action="action-publish", lead="领导发布的导语")
    assert response.status_code == 302
    assert AppealPage.objects.get(pk=site["appeal"].pk).lead == "领导发布的导语"


def test_communications_cannot_publish_a_channel_but_a_leader_can(client, users, site):
    channel = site["channel"]
    login(client, users[roles.COMMUNICATIONS])
    edit_channel(client, channel, action="action-publish", name="未经审批的名称")
    assert DonationChannel.objects.get(pk=channel.pk).name == channel.name
    client.logout()
    login(client, users[roles.LEADERSHIP])
    channel.refresh_from_db()
    response = edit_channel(client, channel, action="action-publish", name="领导发布的名称")
    assert response.status_code == 302
    assert DonationChannel.objects.get(pk=channel.pk).name == "领导发布的名称"


@pytest.mark.parametrize(
    ("role_key", "can_edit"),
    [
        (roles.COMMUNICATIONS, True),
        (roles.LEADERSHIP, True),
        (roles.ADMINISTRATOR, True),
        (roles.INSPECTOR, False),
        (roles.RESPONSIBLE_UNIT, False),
    ],
)
def test_only_communications_leadership_and_administrators_may_edit_channels(
    client, users, site, role_key, can_edit
):
    channel = site["channel"]
    login(client, users[role_key])
    url = reverse("wagtailsnippets_home_donationchannel:edit", args=[channel.pk])
    assert (client.get(url).status_code == 200) is can_edit
    edit_channel(client, channel, action="action-submit", name="越权修改")
    assert DonationChannel.objects.get(pk=channel.pk).name == channel.name
    has_draft = "越权修改" in str(DonationChannel.objects.get(pk=channel.pk).latest_revision.content)
    assert has_draft is can_edit


def test_anonymous_visitors_are_sent_to_the_login_page(client, site):
    url = reverse("wagtailsnippets_home_donationchannel:edit", args=[site["channel"].pk])
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    edit_channel(client, site["channel"], action="action-publish", name="匿名修改")
    assert DonationChannel.objects.get(pk=site["channel"].pk).name != "匿名修改"


@pytest.mark.parametrize(
    ("role_key", "can_edit", "can_publish"),
    [
        (roles.COMMUNICATIONS, True, False),
        (roles.LEADERSHIP, True, True),
        (roles.ADMINISTRATOR, True, True),
        (roles.INSPECTOR, False, False),
        (roles.RESPONSIBLE_UNIT, False, False),
    ],
)
def test_the_appeal_page_permissions_of_every_role(client, users, site, role_key, can_edit, can_publish):
    appeal = site["appeal"]
    login(client, users[role_key])
    assert (client.get(reverse("wagtailadmin_pages:edit", args=[appeal.pk])).status_code == 200) is can_edit
    edit_page(client, appeal, action="action-publish", lead=f"{role_key} 的导语")
    published = AppealPage.objects.get(pk=appeal.pk).lead == f"{role_key} 的导语"
    assert published is can_publish
    drafted = f"{role_key} 的导语" in str(AppealPage.objects.get(pk=appeal.pk).get_latest_revision().content)
    assert drafted is can_edit
