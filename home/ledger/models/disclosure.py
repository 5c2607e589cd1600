"""Daily disclosure pages, their frozen records (one per date and version) and the ledger settings.

A DisclosurePage is drafted by `home.ledger.services.draft_disclosure` and published through
Wagtail's moderation workflow by leadership. Publishing goes through `DisclosurePage.publish`, which
refuses a day that does not balance and, in the same transaction, freezes the day's entries and
writes a DisclosureRecord (totals, cumulative totals, digest chained to the previous record).
DisclosureRecord rows are append-only (database triggers, migration 0001).
"""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import GroupApprovalTask, Page

GENESIS_DIGEST = "0" * 64


@register_setting(icon="date")
class LedgerSettings(BaseGenericSetting):
    """When the previous day's disclosure is drafted, whether it publishes itself, timeliness limits."""

    draft_hour = models.PositiveSmallIntegerField(
        _("每日起草时间（时）"), default=8, help_text=_("每天几点（北京时间）起草前一天的公示，0–23。")
    )
    auto_publish = models.BooleanField(
        _("自动发布"), default=False, help_text=_("勾选后起草即发布，不经领导审核（会在日志中注明）。")
    )
    disclose_within_days = models.PositiveSmallIntegerField(_("公示时限（天）"), default=1)
    allocate_within_days = models.PositiveSmallIntegerField(_("定向捐赠分配时限（天）"), default=3)

    class Meta:
        verbose_name = _("捐赠公示设置")


class DisclosureIndexPage(RoutablePageMixin, Page):
    """/disclosures/: the list of published days, the chain, a chart and the receipt search."""

    intro = RichTextField(_("导语"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["ledger.DisclosurePage"]
    max_count = 1
    template = "ledger/disclosure_index_page.html"

    class Meta:
        verbose_name = _("捐赠公示目录")
        verbose_name_plural = _("捐赠公示目录")

    def get_context(self, request, *args, **kwargs):
        from home.ledger import views

        context = super().get_context(request, *args, **kwargs)
        context.update(views.index_context(request, self))
        return context

    def route(self, request, path_components):
        # /disclosures/<day>/: one query for the day page, already specific, where Wagtail's route
        # runs two (the child as a Page, then its specific row). Anything else: Wagtail's routing.
        if path_components:
            child = DisclosurePage.objects.child_of(self).filter(slug=path_components[0]).first()
            if child is not None:
                child._cached_parent_obj = self
                return child.route(request, path_components[1:])
        return super().route(request, path_components)


class DisclosurePageForm(WagtailAdminPageForm):
    """Refuses publish/approve of a day that does not balance, saying where the difference is."""

    def clean(self):
        cleaned = super().clean()
        publishing = "action-publish" in self.data or (
            "action-workflow-action" in self.data and self.data.get("workflow-action-name") == "approve"
        )
        if publishing and cleaned.get("disclosure_date"):
            from home.ledger.services import publish_refusal

            content = self.instance
            content.disclosure_date = cleaned["disclosure_date"]
            content.correction_note = cleaned.get("correction_note") or ""
            stored = DisclosurePage.objects.filter(pk=content.pk).first() if content.pk else content
            refusal = publish_refusal(stored, content)
            if refusal:
                self.add_error(None, refusal)
        return cleaned


class DisclosurePage(RoutablePageMixin, Page):
    """/disclosures/YYYY-MM-DD/: one day of the ledger. Its rows are read from the ledger, not copied."""

    disclosure_date = models.DateField(_("公示日期"), unique=True)
    correction_note = models.TextField(
        _("更正说明"), blank=True, help_text=_("重新发布已公示的日期时必填：说明更正的原因。")
    )

    content_panels = Page.content_panels + [FieldPanel("disclosure_date"), FieldPanel("correction_note")]
    base_form_class = DisclosurePageForm
    parent_page_types = ["ledger.DisclosureIndexPage"]
    subpage_types = []
    template = "ledger/disclosure_page.html"

    class Meta:
        verbose_name = _("每日捐赠公示")
        verbose_name_plural = _("每日捐赠公示")

    def publish(self, revision, user=None, changed=True, log_action=True, previous_revision=None, **kwargs):
        """Every publish path (admin, workflow approval, command, schedule) comes through here."""
        from home.ledger import services

        with transaction.atomic():
            services.before_publish(self, revision, user)
            result = super().publish(
                revision,
                user=user,
                changed=changed,
                log_action=log_action,
                previous_revision=previous_revision,
                **kwargs,
            )
            services.after_publish(self, revision, user)
        return result

    def get_view_restrictions(self):
        """The restrictions on this page and its ancestors in ONE query (Wagtail's reads the
        ancestors first): an ancestor that is an alias counts through the page it aliases, as in
        Wagtail's own method."""
        if self.alias_of_id is not None:
            return super().get_view_restrictions()
        from wagtail.models import Page, PageViewRestriction

        paths = [self.path[: self.steplen * depth] for depth in range(1, self.depth + 1)]
        chain = Page.objects.filter(path__in=paths)
        return PageViewRestriction.objects.filter(
            Q(page__in=chain.filter(alias_of__isnull=True).values("pk"))
            | Q(page__in=chain.filter(alias_of__isnull=False).values("alias_of"))
        )

    @path("")
    def current(self, request):
        from home.ledger import views

        return views.serve_day(request, self, version=None)

    @path("v<int:version>/")
    def version(self, request, version):
        from home.ledger import views

        return views.serve_day(request, self, version=version)


class DisclosureRecord(models.Model):
    """What was published for one day, frozen: totals, per-row hashes and the chained digest.

    `sequence` orders every publication (a re-publication of a corrected day is a new version and
    a new link in the chain). The canonical form is documented in home/ledger/canonical.py.
    """

    disclosure_date = models.DateField(_("公示日期"), db_index=True)
    version = models.PositiveSmallIntegerField(_("版本"))
    sequence = models.PositiveIntegerField(_("链序号"), unique=True)
    page = models.ForeignKey(
        DisclosurePage, on_delete=models.DO_NOTHING, db_constraint=False, related_name="records", null=True
    )
    published_at = models.DateTimeField(_("发布时间"))
    # Like Wagtail's log entries: the id survives the user's deletion (no constraint, no cascade).
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    bypassed_moderation = models.BooleanField(_("未经审核直接发布"), default=False)
    reason = models.TextField(_("更正说明"), blank=True)
    previous_digest = models.CharField(_("上一期摘要"), max_length=64)
    digest = models.CharField(_("摘要 SHA-256"), max_length=64)
    totals = models.JSONField(_("当日合计"))
    cumulative = models.JSONField(_("累计"))
    cumulative_cash_received = models.DecimalField(max_digits=16, decimal_places=2)
    cumulative_cash_allocated = models.DecimalField(max_digits=16, decimal_places=2)
    cumulative_goods_batches = models.PositiveIntegerField()
    row_hashes = models.JSONField(_("逐行摘要"))

    class Meta:
        verbose_name = _("公示记录")
        verbose_name_plural = _("公示记录")
        ordering = ["sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["disclosure_date", "version"], name="ledger_disclosure_date_version"
            )
        ]

    def __str__(self):
        return f"{self.disclosure_date} v{self.version}"


class DisclosureApprovalTask(GroupApprovalTask):
    """Leadership's approval of a disclosure: an unbalanced day is not approved, and the approver
    is sent to a page naming the difference (instead of an error from inside the publish)."""

    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name == "approve":
            from django.urls import reverse

            from home.ledger.services import publish_refusal

            page = task_state.workflow_state.content_object.specific
            content = task_state.revision.as_object() if task_state.revision_id else page
            if isinstance(page, DisclosurePage) and publish_refusal(page, content):
                return reverse("ledger_admin:refused", args=[page.pk])
        return super().on_action(task_state, user, action_name, **kwargs)

    class Meta:
        verbose_name = _("公示审核")
        verbose_name_plural = _("公示审核")
