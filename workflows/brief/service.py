"""Builds and keeps the daily brief; the only code that writes a DailyBrief or its document.

The bureau-wide brief of a day is one `DailyBrief` row (unique day) pointing at one Wagtail
document in the private collection `COLLECTION_NAME` (leadership and administrators only; the
serve URL is closed to everyone else by `workflows.brief.hooks`). A rebuild replaces the file; the
notification key `daily-brief:<day>` is unique per recipient, so leadership is told once per day.
Called by `workflows.brief.tasks` (schedule and the dashboard button).
"""

import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wagtail.documents import get_document_model

from workflows import roles
from workflows.brief import builder
from workflows.brief.figures import BureauScope, brief_figures
from workflows.models import DailyBrief
from workflows.private_collections import private_collection

COLLECTION_NAME = "每日会商简报（内部）"
READER_ROLES = (roles.LEADERSHIP, roles.ADMINISTRATOR)
NOTIFY_ROLES = (roles.LEADERSHIP,)


def reader_group_names():
    return [roles.group_name(key) for key in READER_ROLES]


def brief_collection():
    """The private collection of the briefs, restricted to leadership and administrators."""
    return private_collection(COLLECTION_NAME, READER_ROLES)


def may_read(user):
    """Who may download the bureau-wide brief: leadership and administrators (group members or
    superusers, as Wagtail's collection restriction itself decides)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(roles.member_role_keys(user) & set(READER_ROLES))


def document_title(day):
    return _("每日会商简报 %(day)s") % {"day": f"{day:%Y-%m-%d}"}


def notification_key(day):
    return f"daily-brief:{day:%Y-%m-%d}"


def build_scoped(scope):
    """The brief of any scope as (filename, bytes), nothing stored: a unit's own brief."""
    with translation.override(settings.LANGUAGE_CODE):
        data = builder.build_docx(brief_figures(scope))
    return builder.filename(scope.today, scope.key), data


@transaction.atomic
def build_daily_brief(day):
    """Build the bureau-wide brief of `day`, keep it, notify leadership (once per day).

    Returns {"brief", "document", "builds", "notified", "calendar_note"}."""
    from workflows.notifications import notify, users_in_role
    from workflows.services import queue_on_commit

    # One builder at a time per day: the row is created first and locked, so two concurrent
    # builds replace the same document instead of creating two.
    brief, created = DailyBrief.objects.get_or_create(day=day, defaults={"built_at": timezone.now()})
    brief = DailyBrief.objects.select_for_update().get(pk=brief.pk)
    scope = BureauScope.for_day(day)
    with translation.override(settings.LANGUAGE_CODE):
        figures = brief_figures(scope)
        data = builder.build_docx(figures)
        title = document_title(day)

    Document = get_document_model()
    document = brief.document or Document(title=title, collection=brief_collection())
    old_name = document.file.name if document.pk else None
    # An unguessable file name: the storage's own URL (MEDIA_URL in development) must not be a way
    # around the permission-checked serve view.
    name = f"daily-brief-{day:%Y%m%d}-{secrets.token_hex(12)}.docx"
    document.title = title
    document.file.save(name, ContentFile(data), save=False)
    document.file_size = len(data)
    document.save()
    if old_name and old_name != document.file.name:
        old_storage = document.file.storage
        transaction.on_commit(lambda: old_storage.delete(old_name))

    DailyBrief.objects.filter(pk=brief.pk).update(
        document=document,
        built_at=timezone.now(),
        builds=brief.builds + (0 if created else 1),
        calendar_note=figures["calendar_note"][:200],
    )
    notified = _notify(day, figures["calendar_note"], notify, users_in_role)
    if notified:
        queue_on_commit("workflows.tasks.deliver_notifications")
    return {
        "brief": brief.pk,
        "document": document.pk,
        "builds": brief.builds + (0 if created else 1),
        "notified": notified,
        "calendar_note": figures["calendar_note"],
    }


def brief_link(day):
    """The stable, permission-checked link of a day's brief (the file name changes on rebuild)."""
    from django.urls import reverse

    return settings.SITE_BASE_URL + reverse("workflows_brief:day", args=[f"{day:%Y-%m-%d}"])


def _notify(day, note, notify, users_in_role):
    recipients = {user.pk: user for key in NOTIFY_ROLES for user in users_in_role(key)}
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(day)s 每日会商简报已生成") % {"day": f"{day:%Y-%m-%d}"}
        body = _("今日会商简报（Word 文档）：\n%(link)s") % {"link": brief_link(day)}
        if note:
            subject = f"{subject}（{note}）"
            body = f"{body}\n\n{_('日历提示：')}{note}"
    return notify(recipients.values(), notification_key(day), subject, body)
