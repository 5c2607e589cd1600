"""Donation channels: validation, server-side QR codes, stale edits of payment details (RELIABILITY
item 26), the audit log, and scheduled publishing."""

import datetime
import io

import pytest
import zxingcpp
from PIL import Image

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry

from home import services, tasks
from home.models import ChannelKind, DonationChannel
from home.schedules import SCHEDULES
from tests.conftest import TEST_PASSWORD
from tests.home import factories
from tests.home.admin_forms import channel_form_data
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("account_number", "6222-0210-0104", "只能包含数字和空格"),
        ("account_number", "1234", "长度为 8 到 40 位"),
        ("contact_phone", "call me", "只能包含数字"),
        ("payment_url", "http://pay.example.com/x", "https://"),
        ("payment_url", "javascript:alert(1)", "https://"),
    ],
)
def test_bad_payment_details_are_refused_with_a_clear_message(field, value, message):
    channel = factories.DonationChannelFactory.build(**{field: value})
    with pytest.raises(ValidationError) as excinfo:
        channel.full_clean()
    assert message in " ".join(excinfo.value.message_dict[field])


def test_each_kind_requires_its_own_details():
    channel = DonationChannel(kind=ChannelKind.GOODS, name="物资点")
    with pytest.raises(ValidationError) as excinfo:
        channel.full_clean()
    assert "address" in excinfo.value.message_dict


def test_a_generated_qr_code_decodes_back_to_the_payment_url(client):
    url = "https://pay.cishan.example.gov.cn/donate/yiqing2026?from=site"
    channel = factories.OnlineChannelFactory(payment_url=url)
    response = client.get(reverse("home:channel_qr", args=[channel.pk, channel.qr_digest]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    decoded = [result.text for result in zxingcpp.read_barcodes(image)]
    assert decoded == [url]
    assert image.size == services.qr_size(url)


def test_the_qr_code_url_changes_with_the_payment_url_and_the_old_one_is_gone(client):
    channel = factories.OnlineChannelFactory(payment_url="https://pay.example.gov.cn/a")
    old_url = reverse("home:channel_qr", args=[channel.pk, channel.qr_digest])
    channel.payment_url = "https://pay.example.gov.cn/b"
    channel.save_revision().publish()
    channel.refresh_from_db()
    new_url = reverse("home:channel_qr", args=[channel.pk, channel.qr_digest])
    assert new_url != old_url
    assert client.get(old_url).status_code == 404
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(client.get(new_url).content)))
    assert [r.text for r in decoded] == ["https://pay.example.gov.cn/b"]


def test_a_paused_channel_has_no_qr_code(client):
    channel = factories.OnlineChannelFactory()
    channel.status = "paused"
    channel.pause_reason = "平台维护"
    channel.save_revision().publish()
    assert client.get(reverse("home:channel_qr", args=[channel.pk, channel.qr_digest])).status_code == 404


def _edit_url(channel):
    return reverse("wagtailsnippets_home_donationchannel:edit", args=[channel.pk])


def test_a_stale_form_cannot_overwrite_changed_payment_details(client, make_user, users):
    channel = factories.DonationChannelFactory(account_number="6222 0210 0000 1111")
    editor_a = users[roles.COMMUNICATIONS]
    editor_b = make_user(roles.COMMUNICATIONS, username="comms-b")
    client_b = client.__class__()
    assert client.login(username=editor_a.username, password=TEST_PASSWORD)
    assert client_b.login(username=editor_b.username, password=TEST_PASSWORD)
    # Both open the edit form: the rendered form carries the version they saw.
    for c in (client, client_b):
        html = c.get(_edit_url(channel)).content.decode()
        assert 'name="payment_version" value="0"' in html
    form_a = channel_form_data(channel, account_number="6222 0210 0000 2222")
    form_b = channel_form_data(channel, name="B 改了名称")

    assert client.post(_edit_url(channel), form_a).status_code == 302
    response = client_b.post(_edit_url(channel), form_b)
    assert response.status_code == 409
    assert "收款信息已于" in response.content.decode() and editor_a.username in response.content.decode()

    latest = DonationChannel.objects.get(pk=channel.pk).get_latest_revision_as_object()
    assert latest.account_number == "6222 0210 0000 2222"
    assert latest.name == channel.name
    assert DonationChannel.objects.get(pk=channel.pk).payment_version == 1
    # B reloads, sees the new version and can save.
    assert 'name="payment_version" value="1"' in client_b.get(_edit_url(channel)).content.decode()
    fresh = channel_form_data(latest, name="B 改了名称", payment_version=1)
    assert client_b.post(_edit_url(channel), fresh).status_code == 302


def test_a_stale_autosave_is_refused_with_409_json(client, users):
    channel = factories.OnlineChannelFactory()
    assert client.login(username=users[roles.COMMUNICATIONS].username, password=TEST_PASSWORD)
    DonationChannel.objects.filter(pk=channel.pk).update(payment_version=5)
    response = client.post(
        _edit_url(channel),
        channel_form_data(channel, payment_url="https://evil.example.com/pay", payment_version=0),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error_code"] == "stale_payment_details"
    assert (
        DonationChannel.objects.get(pk=channel.pk).get_latest_revision_as_object().payment_url
        == channel.payment_url
    )


def test_every_payment_detail_change_is_in_the_audit_log_with_its_actor(client, users):
    channel = factories.OnlineChannelFactory()
    leader = users[roles.LEADERSHIP]
    assert client.login(username=leader.username, password=TEST_PASSWORD)
    response = client.post(
        _edit_url(channel),
        channel_form_data(channel, action="action-publish", payment_url="https://pay.example.gov.cn/new"),
    )
    assert response.status_code == 302
    entry = ModelLogEntry.objects.for_instance(channel).get(action=services.PAYMENT_CHANGE_ACTION)
    assert entry.user == leader
    assert entry.data["fields"] == ["payment_url"]
    assert DonationChannel.objects.get(pk=channel.pk).payment_url == "https://pay.example.gov.cn/new"
    history = client.get(reverse("wagtailsnippets_home_donationchannel:history", args=[channel.pk]))
    assert "修改收款信息" in history.content.decode()
    # A change that leaves payment details alone is not logged as one.
    channel.refresh_from_db()
    client.post(_edit_url(channel), channel_form_data(channel, action="action-publish", name="新名称"))
    assert (
        ModelLogEntry.objects.for_instance(channel).filter(action=services.PAYMENT_CHANGE_ACTION).count() == 1
    )


def test_publishing_an_older_revision_does_not_move_the_version_back():
    channel = factories.DonationChannelFactory()
    old_revision = channel.latest_revision
    DonationChannel.objects.filter(pk=channel.pk).update(payment_version=3)
    old_revision.publish()
    assert DonationChannel.objects.get(pk=channel.pk).payment_version == 3


def test_the_scheduled_task_publishes_a_channel_whose_time_has_come():
    channel = factories.DonationChannelFactory(publish=False, name="定时发布的专户")
    channel.go_live_at = timezone.now() - datetime.timedelta(minutes=1)
    revision = channel.save_revision()
    revision.approved_go_live_at = channel.go_live_at
    revision.save()
    assert not DonationChannel.objects.get(pk=channel.pk).live
    tasks.publish_scheduled()
    assert DonationChannel.objects.get(pk=channel.pk).live


def test_scheduled_publishing_is_declared_as_a_schedule_every_minute():
    (spec,) = SCHEDULES
    assert spec.func == "home.tasks.publish_scheduled"
    assert (spec.schedule_type, spec.minutes) == ("I", 1)


def test_reverting_to_an_older_revision_is_guarded_and_logged_as_a_payment_change(client, users):
    channel = factories.DonationChannelFactory(account_number="6222 0210 0000 1111")
    old_revision = channel.latest_revision
    leader = users[roles.LEADERSHIP]
    assert client.login(username=leader.username, password=TEST_PASSWORD)
    client.post(
        _edit_url(channel),
        channel_form_data(channel, action="action-publish", account_number="6222 0210 0000 2222"),
    )
    channel.refresh_from_db()
    assert channel.payment_version == 1
    revert_url = reverse(
        "wagtailsnippets_home_donationchannel:revisions_revert", args=[channel.pk, old_revision.pk]
    )
    html = client.get(revert_url).content.decode()
    assert 'name="payment_version" value="1"' in html
    # A revert form opened before another payment change is stale too.
    DonationChannel.objects.filter(pk=channel.pk).update(payment_version=2)
    stale = channel_form_data(channel, account_number="6222 0210 0000 1111", payment_version=1)
    assert client.post(revert_url, stale).status_code == 409
    fresh = channel_form_data(channel, account_number="6222 0210 0000 1111", payment_version=2)
    assert client.post(revert_url, fresh).status_code == 302
    entries = ModelLogEntry.objects.for_instance(channel).filter(action=services.PAYMENT_CHANGE_ACTION)
    assert entries.count() == 2
    assert entries.order_by("-timestamp", "-pk").first().data["fields"] == ["account_number"]
    latest = DonationChannel.objects.get(pk=channel.pk).get_latest_revision_as_object()
    assert latest.account_number == "6222 0210 0000 1111"
