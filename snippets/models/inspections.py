from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel

from snippets.choices import Answer, RoundMode, VisitState

from .fields import InstitutionKindsField


class InspectionRound(ClusterableModel):
    """A round of visits. The random draw (`snippets.services.draw_round`) fills the visits and
    stores a SHA-256 commitment of (seed, result); the seed is shown only after the round ends."""

    name = models.CharField(_("名称"), max_length=200)
    mode = models.CharField(_("方式"), max_length=20, choices=RoundMode.choices, default=RoundMode.OPEN)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    team = ParentalManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("督查组成员"), related_name="inspection_rounds", blank=True
    )
    institutions = ParentalManyToManyField(
        "snippets.Institution", verbose_name=_("检查机构"), related_name="inspection_rounds", blank=True
    )
    # Random draw parameters (双随机).
    draw_institution_count = models.PositiveIntegerField(_("抽取机构数"), default=0)
    draw_kinds = InstitutionKindsField(_("抽取机构类型"), help_text=_("不选表示所有类型。"))
    draw_inspectors_per_visit = models.PositiveIntegerField(_("每次检查督查员人数"), default=2)
    # Written only by the draw service.
    draw_seed = models.CharField(_("随机种子"), max_length=64, blank=True, editable=False)
    draw_result = models.JSONField(_("抽取结果"), default=dict, blank=True, editable=False)
    draw_commitment = models.CharField(_("承诺值（SHA-256）"), max_length=64, blank=True, editable=False)
    sealed_at = models.DateTimeField(_("封存时间"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("督查轮次")
        verbose_name_plural = _("督查轮次")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="round_period_ok"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_sealed(self):
        return self.sealed_at is not None

    @property
    def seed_revealed(self):
        return self.is_sealed and timezone.localdate() > self.ends_on

    @property
    def revealed_seed(self):
        return self.draw_seed if self.seed_revealed else ""


class Visit(ClusterableModel):
    inspection_round = models.ForeignKey(
        InspectionRound, verbose_name=_("督查轮次"), on_delete=models.CASCADE, related_name="visits"
    )
    institution = models.ForeignKey(
        "snippets.Institution", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="visits"
    )
    planned_on = models.DateField(_("计划日期"))
    inspectors = ParentalManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("督查员"), related_name="visits", blank=True
    )
    template = models.ForeignKey(
        "snippets.ChecklistTemplate",
        verbose_name=_("检查表模板"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    state = models.CharField(
        _("状态"),
        max_length=10,
        choices=VisitState.choices,
        default=VisitState.PLANNED,
        editable=False,
        db_index=True,
    )
    notes = models.TextField(_("检查情况"), blank=True)
    # Bumped by every write of the checklist or the state (snippets.services): an offline client
    # sends the version it saw, and a different one is a conflict, never an overwrite.
    version = models.PositiveIntegerField(_("版本"), default=0, editable=False)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完成人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["planned_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["inspection_round", "institution"], name="one_visit_per_round")
        ]

    def __str__(self):
        return f"{self.inspection_round} · {self.institution} · {self.planned_on}"


class ChecklistAnswer(models.Model):
    visit = models.ForeignKey(Visit, verbose_name=_("检查"), on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(
        "snippets.ChecklistItem", verbose_name=_("检查项"), on_delete=models.PROTECT, related_name="answers"
    )
    answer = models.CharField(_("结果"), max_length=4, choices=Answer.choices, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        ordering = ["item__sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="one_answer_per_item")]

    def __str__(self):
        return f"{self.item}: {self.get_answer_display()}"
