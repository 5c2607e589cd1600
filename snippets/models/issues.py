from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.search import index

from snippets.choices import Severity
from workflows.choices import Stage

ISSUE_NUMBER_PREFIX = "ZG"


class IssueNumberCounter(models.Model):
    """One row per year; `snippets.services.allocate_issue_number` bumps it with an F() update."""

    year = models.PositiveIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("问题编号计数器")
        verbose_name_plural = _("问题编号计数器")

    def __str__(self):
        return f"{self.year}: {self.last_value}"


class Issue(index.Indexed, models.Model):
    """A problem found at an institution. Its stage changes only through the workflows services."""

    number = models.CharField(_("编号"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("问题描述"), blank=True)
    category = models.ForeignKey(
        "snippets.IssueCategory", verbose_name=_("问题类别"), on_delete=models.PROTECT, related_name="issues"
    )
    institution = models.ForeignKey(
        "snippets.Institution", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="issues"
    )
    visit = models.ForeignKey(
        "snippets.Visit",
        verbose_name=_("发现该问题的检查"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="issues",
    )
    # Set when a failed checklist item raised this issue; unique, so completing twice raises nothing.
    checklist_answer = models.OneToOneField(
        "snippets.ChecklistAnswer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="raised_issue",
    )
    found_on = models.DateField(_("发现日期"), default=timezone.localdate)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_issues",
        editable=False,
    )
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, db_index=True)
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("整改责任人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_issues",
    )
    rectification_plan = models.TextField(_("整改措施"), blank=True)
    deadline = models.DateField(_("整改期限"), db_index=True)
    stage = models.CharField(
        _("阶段"),
        max_length=20,
        choices=Stage.choices,
        default=Stage.REPORTED,
        editable=False,
        db_index=True,
    )
    # Bumped by every stage move: workflows.services compares and sets it (stage alone repeats).
    stage_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    search_fields = [
        index.SearchField("number"),
        index.SearchField("title"),
        index.SearchField("description"),
        index.RelatedFields("institution", [index.SearchField("name")]),
        index.FilterField("institution_id"),
        index.FilterField("stage"),
        index.FilterField("severity"),
        index.FilterField("category_id"),
    ]

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["-found_on", "-number"]
        # The dashboard's grouped figures (issue #8, measurement 8): per institution x category x
        # stage with deadline buckets read from the index alone; open/overdue counts by stage and
        # deadline; the oldest open items, the daily trend and the admin listing by the day found.
        indexes = [
            models.Index(
                fields=["institution", "category", "stage", "deadline"], name="issue_inst_cat_stage_dl"
            ),
            models.Index(fields=["stage", "deadline"], name="issue_stage_deadline"),
            # Also the listing's default order (-found_on, -number), read backwards: no sort.
            models.Index(fields=["found_on", "number"], name="issue_found_on_number"),
            # Per visit: issues found in completed visits (urban/rural) and the rounds of each
            # institution x category pair (recurrences), both read from the index alone.
            models.Index(
                fields=["visit", "institution", "category", "stage"], name="issue_visit_inst_cat_stage"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        if not self.number:
            from snippets.services import allocate_issue_number

            self.number = allocate_issue_number(self.found_on.year if self.found_on else None)
        super().save(*args, **kwargs)

    @property
    def is_overdue(self):
        return self.stage != Stage.CLOSED and self.deadline < timezone.localdate()
