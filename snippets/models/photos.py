import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.urls import reverse
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from snippets.choices import PhotoKind


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name):
        # There is no public URL: photos are served by `snippets.views.photo` after a permission check.
        raise ValueError("Private files have no URL; use Photo.get_absolute_url().")


class PrivateStorage(LazyObject):
    """Files under PRIVATE_MEDIA_ROOT, which no URL serves; resolved when first used."""

    def _setup(self):
        self._wrapped = PrivateFileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT)


private_storage = PrivateStorage()


def get_private_storage():
    # A callable keeps the location out of migrations.
    return private_storage


def photo_path(instance, filename):
    # The client's name is kept only in `original_name`; the stored name is not guessable.
    return f"photos/{uuid.uuid4().hex}{filename[filename.rfind('.') :].lower()}"


class Photo(models.Model):
    """An inspection photo: sanitised by `snippets.images`, served only by `snippets.views.photo`."""

    file = models.FileField(_("文件"), storage=get_private_storage, upload_to=photo_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=255)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=40)
    issue = models.ForeignKey(
        "snippets.Issue",
        verbose_name=_("问题"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
    )
    answer = models.ForeignKey(
        "snippets.ChecklistAnswer",
        verbose_name=_("检查结果"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=PhotoKind.choices, default=PhotoKind.BEFORE)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("snippets:photo", args=[self.pk])

    @property
    def institution_id(self):
        if self.issue_id:
            return self.issue.institution_id
        if self.answer_id:
            return self.answer.visit.institution_id
        return None
