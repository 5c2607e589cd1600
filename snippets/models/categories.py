from django.db import models
from django.utils.translation import gettext_lazy as _

from snippets.choices import Severity


class IssueCategory(models.Model):
    """Edited by administrators: the defaults an issue of this kind starts with."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    default_severity = models.CharField(
        _("默认严重程度"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    default_deadline_days = models.PositiveIntegerField(_("默认整改期限（天）"), default=7)
    closure_needs_leadership = models.BooleanField(_("销号需领导审批"), default=True)
    requires_after_photos = models.BooleanField(
        _("销号需整改后照片"), default=False, help_text=_("申请销号前必须上传整改后照片。")
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name
