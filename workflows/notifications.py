"""Notifications: rows in the admin (with an unread count) and emails sent by a task.

Creating is idempotent by (recipient, key); emails are claimed with a conditional UPDATE before
sending, so a retried task never sends twice.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from workflows import roles
from workflows.models import Notification

logger = logging.getLogger(__name__)


def users_in_role(key):
    return get_user_model().objects.filter(is_active=True, groups__name=roles.group_name(key)).distinct()


def responsible_users(issue):
    users = {user.pk: user for user in issue.institution.responsible_users.filter(is_active=True)}
    if issue.responsible_person_id and issue.responsible_person.is_active:
        users[issue.responsible_person_id] = issue.responsible_person
    return list(users.values())


def notify(recipients, key, subject, body="", issue=None):
    """Create one notification per recipient for the event `key`; returns how many are new."""
    rows = [
        Notification(recipient=user, key=key, subject=subject[:200], body=body, issue=issue)
        for user in {u.pk: u for u in recipients}.values()
    ]
    before = Notification.objects.filter(key=key).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return Notification.objects.filter(key=key).count() - before


def bulk_notify(events, batch_size=2000):
    """Set-based `notify` for sweeps: `events` yields (recipient_ids, key, subject, body, issue_id).
    Rows are inserted in batches; existing (recipient, key) pairs are skipped by the constraint."""
    batch, attempted = [], 0
    for recipient_ids, key, subject, body, issue_id in events:
        for user_id in recipient_ids:
            batch.append(
                Notification(
                    recipient_id=user_id, key=key, subject=subject[:200], body=body, issue_id=issue_id
                )
            )
        if len(batch) >= batch_size:
            Notification.objects.bulk_create(batch, ignore_conflicts=True)
            attempted += len(batch)
            batch = []
    if batch:
        Notification.objects.bulk_create(batch, ignore_conflicts=True)
        attempted += len(batch)
    return attempted


def responsible_user_ids_by_institution():
    """{institution id: {active responsible user ids}} in one query, for sweeps."""
    from snippets.models import Institution

    through = Institution.responsible_users.through
    mapping = {}
    rows = through.objects.filter(user__is_active=True).values_list("institution_id", "user_id")
    for institution_id, user_id in rows.iterator():
        mapping.setdefault(institution_id, set()).add(user_id)
    return mapping


def prefetched_responsible_users(issue):
    """`responsible_users` without a query, for querysets that prefetch the institution's users."""
    users = {user.pk: user for user in issue.institution.responsible_users.all() if user.is_active}
    if issue.responsible_person_id and issue.responsible_person.is_active:
        users[issue.responsible_person_id] = issue.responsible_person
    return list(users.values())


def for_user(user):
    return Notification.objects.filter(recipient=user)


def unread_count(user):
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user, ids=None):
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())


def deliver_pending_emails(limit=500, stale_after_seconds=600):
    """Send the emails of pending notifications. Each is claimed (pending → sending) by a
    conditional update first; a claim older than `stale_after_seconds` (worker died) is retried."""
    now = timezone.now()
    stale = now - timezone.timedelta(seconds=stale_after_seconds)
    candidates = Notification.objects.filter(
        Q(email_state=Notification.EmailState.PENDING)
        | Q(email_state=Notification.EmailState.SENDING, email_claimed_at__lt=stale)
    ).values_list("pk", flat=True)[:limit]
    sent = skipped = 0
    for pk in list(candidates):
        claimed = (
            Notification.objects.filter(pk=pk)
            .filter(
                Q(email_state=Notification.EmailState.PENDING)
                | Q(email_state=Notification.EmailState.SENDING, email_claimed_at__lt=stale)
            )
            .update(email_state=Notification.EmailState.SENDING, email_claimed_at=now)
        )
        if not claimed:
            continue
        notification = Notification.objects.select_related("recipient").get(pk=pk)
        if not notification.recipient.email:
            Notification.objects.filter(pk=pk).update(email_state=Notification.EmailState.SKIPPED)
            skipped += 1
            continue
        body = notification.body
        if notification.issue_id:
            body += f"\n\n{settings.SITE_BASE_URL}/admin/rectification/issue/{notification.issue_id}/"
        send_mail(notification.subject, body, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
        Notification.objects.filter(pk=pk).update(email_state=Notification.EmailState.SENT)
        sent += 1
    return {"sent": sent, "skipped": skipped}
