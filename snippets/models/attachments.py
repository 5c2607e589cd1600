import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .photos import get_private_storage


def attachment_path(instance, filename):
    # Same rule as photos: the client's name lives only in `original_name`.
    return f"attachments/{uuid.uuid4().hex}{filename[filename.rfind('.') :].lower()}"


class Attachment(models.Model):
    """A non-image file of an issue (inspection report, rectification plan): checked by
    `snippets.attachments`, stored privately, served only by `snippets.views.attachment`."""

    issue = models.ForeignKey(
        "snippets.Issue", verbose_name=_("问题"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), storage=get_private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("snippets:attachment", args=[self.pk])
