from django.db import models
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable

from snippets.choices import Severity

from .fields import InstitutionKindsField, kinds_include


class ChecklistTemplate(ClusterableModel):
    """An ordered list of checks; a visit uses the first active template for its institution's kind."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    kinds = InstitutionKindsField(_("适用机构类型"), help_text=_("不选表示适用于所有类型。"))
    is_active = models.BooleanField(_("启用"), default=True)

    panels = [FieldPanel("name"), FieldPanel("kinds"), FieldPanel("is_active"), InlinePanel("items")]

    class Meta:
        verbose_name = _("检查表模板")
        verbose_name_plural = _("检查表模板")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def items_for(self, kind):
        return [item for item in self.items.all() if kinds_include(item.kinds, kind)]

    @classmethod
    def for_kind(cls, kind):
        for template in cls.objects.filter(is_active=True).order_by("pk"):
            if kinds_include(template.kinds, kind):
                return template
        return None


class ChecklistItem(Orderable):
    template = ParentalKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(_("检查内容"), max_length=300)
    kinds = InstitutionKindsField(_("适用机构类型"), help_text=_("不选表示适用于模板的所有类型。"))
    category = models.ForeignKey(
        "snippets.IssueCategory",
        verbose_name=_("不合格时的问题类别"),
        on_delete=models.PROTECT,
        related_name="checklist_items",
    )
    severity = models.CharField(
        _("不合格时的严重程度"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )

    panels = [FieldPanel("text"), FieldPanel("kinds"), FieldPanel("category"), FieldPanel("severity")]

    class Meta(Orderable.Meta):
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")

    def __str__(self):
        return self.text
