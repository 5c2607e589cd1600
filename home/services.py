"""Business rules of the public site: payment-detail edits, the official-channel check, QR codes,
and the moderation workflow. Views and admin hooks call these; nothing here reads a request."""

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from wagtail.log_actions import log

from home.models import PAYMENT_FIELDS, ChannelKind, ChannelStatus, DonationChannel
from home.models.channels import digits_only, normalise_payment_url
from home.qr import MAX_QR_PHOTO_PIXELS, QRDecodeError, decode_qr, qr_png, qr_size  # noqa: F401

logger = logging.getLogger(__name__)

PAYMENT_CHANGE_ACTION = "home.channel.payment_change"
WORKFLOW_NAME = "领导审批"
TASK_NAME = "领导审批发布"


class StalePaymentEdit(Exception):
    """The form was opened before someone else changed the payment details."""


def claim_payment_edit(channel, expected_version, changed_fields, user):
    """Compare-and-set on `payment_version` before a channel edit is saved (RELIABILITY item 26).

    Any save from a form opened before the last payment change is refused, even one that did not
    touch payment fields, since it would write the stale values back. A save that changes payment
    details bumps the version and is written to the audit log with the actor. Call inside the
    transaction that saves the edit.
    """
    changed = sorted(set(changed_fields) & set(PAYMENT_FIELDS))
    if channel.pk is None:
        return channel.payment_version
    bump = 1 if changed else 0
    updated = DonationChannel.objects.filter(pk=channel.pk, payment_version=expected_version).update(
        payment_version=F("payment_version") + bump
    )
    if not updated:
        raise StalePaymentEdit(_stale_message(channel))
    new_version = expected_version + bump
    channel.payment_version = new_version
    if changed:
        log(
            instance=channel,
            action=PAYMENT_CHANGE_ACTION,
            user=user,
            data={"fields": changed, "version": new_version},
        )
    return new_version


def changed_payment_fields(edited):
    """Payment fields of `edited` that differ from the channel's latest saved state (draft or live)."""
    if edited.pk is None:
        return []
    current = DonationChannel.objects.get(pk=edited.pk).get_latest_revision_as_object()
    return [
        name
        for name in PAYMENT_FIELDS
        if getattr(edited, DonationChannel._meta.get_field(name).attname)
        != getattr(current, DonationChannel._meta.get_field(name).attname)
    ]


def _stale_message(channel):
    from wagtail.models import ModelLogEntry

    entry = (
        ModelLogEntry.objects.for_instance(channel)
        .filter(action=PAYMENT_CHANGE_ACTION)
        .select_related("user")
        .order_by("-timestamp", "-pk")
        .first()
    )
    if entry is None:
        return _("收款信息已被他人修改，您的表单已过期。请重新打开后再编辑。")
    return _("收款信息已于 %(when)s 被 %(who)s 修改，您的表单已过期。请重新打开后再编辑。") % {
        "when": entry.timestamp.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        "who": entry.user_display_name,
    }


# --- Official-channel check -----------------------------------------------------------------------

CHECK_ACTIVE = "active"
CHECK_PAUSED = "paused"
CHECK_UNKNOWN = "unknown"


@dataclass
class CheckResult:
    status: str
    channel: DonationChannel | None = None
    decoded: str = ""


def check_channel(account_number="", payment_url="", qr_text=""):
    """Is this one of the bureau's published channels? Only live channels count."""
    candidates = DonationChannel.objects.filter(live=True)
    channel = None
    account = digits_only(account_number)
    if account:
        channel = candidates.filter(account_digits=account).order_by("status").first()
    for url in (payment_url, qr_text):
        if channel is None and url:
            key = normalise_payment_url(url)
            channel = candidates.filter(payment_url_key=key).order_by("status").first()
    if channel is None and qr_text and digits_only(qr_text) == qr_text.replace(" ", ""):
        channel = candidates.filter(account_digits=digits_only(qr_text)).order_by("status").first()
    if channel is None:
        return CheckResult(CHECK_UNKNOWN, decoded=qr_text)
    status = CHECK_ACTIVE if channel.status == ChannelStatus.ACTIVE else CHECK_PAUSED
    return CheckResult(status, channel, decoded=qr_text)


def hotline():
    """The first public hotline channel, for the warning shown with an unknown channel."""
    return DonationChannel.objects.public().filter(kind=ChannelKind.HOTLINE).first()


def allow_check(client_key, limit=10, window=60):
    """Fixed-window rate limit in the shared cache: True while the client is under `limit`."""
    key = f"home:channel-check:{client_key}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


# --- Moderation -----------------------------------------------------------------------------------


@transaction.atomic
def ensure_moderation_workflow():
    """The 领导审批 workflow on the page tree root and on donation channels (idempotent).

    Run after every migrate (home.apps) so that it survives test-database flushes too.
    """
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from wagtail.models import (
        GroupApprovalTask,
        Page,
        Workflow,
        WorkflowContentType,
        WorkflowPage,
        WorkflowTask,
    )

    from workflows import roles

    leadership, _created = Group.objects.get_or_create(name=roles.group_name(roles.LEADERSHIP))
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME)
    task.active = True
    task.save()
    task.groups.set([leadership])

    workflow, _created = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    if not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])
    # The model manager, not workflow.workflow_tasks: modelcluster defers that one until save().
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})

    root = Page.get_first_root_node()
    if root is not None:
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    content_type = ContentType.objects.get_for_model(DonationChannel)
    WorkflowContentType.objects.update_or_create(content_type=content_type, defaults={"workflow": workflow})
    return workflow
