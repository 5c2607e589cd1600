from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.search import index

from snippets.choices import Area, InstitutionKind


class Institution(index.Indexed, models.Model):
    """A place the bureau is responsible for. `responsible_users` see only their own institutions."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    kind = models.CharField(_("类型"), max_length=30, choices=InstitutionKind.choices, db_index=True)
    township = models.CharField(_("乡镇（街道）"), max_length=100, db_index=True)
    area = models.CharField(_("城乡"), max_length=10, choices=Area.choices, db_index=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    beds = models.PositiveIntegerField(_("床位数"), default=0)
    residents = models.PositiveIntegerField(_("在住人数"), default=0)
    staff = models.PositiveIntegerField(_("工作人员数"), default=0)
    responsible_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任单位账号"),
        related_name="responsible_institutions",
        blank=True,
        help_text=_("这些责任单位账号只能看到本机构的问题。"),
    )

    search_fields = [
        index.SearchField("name"),
        index.SearchField("township"),
        index.SearchField("address"),
        index.FilterField("kind"),
        index.FilterField("township"),
        index.FilterField("area"),
    ]

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["township", "name"]

    def __str__(self):
        return self.name


class InspectorProfile(models.Model):
    """An inspector's home township: the random draw never sends them to an institution there."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督查员"),
        on_delete=models.CASCADE,
        related_name="inspector_profile",
    )
    township = models.CharField(_("所在乡镇（街道）"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("督查员档案")
        verbose_name_plural = _("督查员档案")

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.township})"
