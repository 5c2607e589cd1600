from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OfflineOperationKind(models.TextChoices):
    CHECKLIST = "checklist", _("检查表")
    ISSUE = "issue", _("问题登记")


class OfflineOperation(models.Model):
    """One change queued on an inspector's phone (/inspect/) and applied by `snippets.offline.services`.

    The client generates the UUID; it is unique, so a retry or a double tap finds this row and gets
    the stored outcome back instead of applying the change a second time. A refused operation
    (invalid input, conflict) leaves no row: nothing of it was applied.
    """

    client_uuid = models.UUIDField(_("客户端操作编号"), unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("督查员"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=OfflineOperationKind.choices)
    visit = models.ForeignKey(
        "snippets.Visit", verbose_name=_("检查"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    result = models.JSONField(_("结果"), default=dict, blank=True)
    applied_at = models.DateTimeField(_("同步时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("离线同步记录")
        verbose_name_plural = _("离线同步记录")
        ordering = ["-applied_at", "-pk"]

    def __str__(self):
        return f"{self.kind} {self.client_uuid}"
