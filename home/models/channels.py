"""Donation channels: the bureau's official ways to give, edited as moderated snippets.

Admin wiring is in home/wagtail_hooks.py; payment-detail edits go through
`home.services.claim_payment_edit` (compare-and-set on `payment_version`).
"""

import hashlib
import re
from urllib.parse import urlsplit

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    PreviewableMixin,
    RevisionMixin,
    WorkflowMixin,
)
from wagtail.search import index

# Fields whose change is fraud-sensitive: guarded against stale edits and audit-logged.
PAYMENT_FIELDS = ("account_name", "bank_name", "account_number", "payment_url", "qr_image")

account_number_validator = RegexValidator(r"^[0-9 ]{8,40}$", _("账号只能包含数字和空格，长度为 8 到 40 位。"))
phone_validator = RegexValidator(
    r"^[0-9 \-]{3,20}$", _("电话号码只能包含数字、空格和连字符，长度为 3 到 20 位。")
)


def validate_https_url(value):
    URLValidator(schemes=["https"], message=_("支付链接必须是以 https:// 开头的完整网址。"))(value)


def digits_only(value):
    return re.sub(r"\D", "", value or "")


def normalise_payment_url(value):
    """Scheme and host lower-cased, default port and trailing slash dropped; path and query kept."""
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != 443:
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{host}{path}{query}"


class ChannelKind(models.TextChoices):
    BANK = "bank", _("银行转账")
    ONLINE = "online", _("网络/手机支付")
    GOODS = "goods", _("物资接收点")
    HOTLINE = "hotline", _("捐赠热线")


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", _("启用")
    PAUSED = "paused", _("暂停")


class DonationChannelQuerySet(models.QuerySet):
    def public(self):
        """Live and active: the only channels the public site and the API show."""
        return self.filter(live=True, status=ChannelStatus.ACTIVE)

    def for_display(self):
        return self.select_related("qr_image").prefetch_related("qr_image__renditions")


class DonationChannel(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    index.Indexed,
    models.Model,
):
    kind = models.CharField(_("类型"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("名称"), max_length=120)
    description = models.TextField(_("说明"), blank=True)

    account_name = models.CharField(_("户名"), max_length=120, blank=True)
    bank_name = models.CharField(_("开户行及网点"), max_length=160, blank=True)
    account_number = models.CharField(
        _("账号"), max_length=48, blank=True, validators=[account_number_validator]
    )
    payment_url = models.CharField(
        _("支付链接"),
        max_length=500,
        blank=True,
        validators=[validate_https_url],
        help_text=_("必须以 https:// 开头；二维码由系统根据链接自动生成。"),
    )
    qr_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("上传的收款二维码"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("仅在无法提供支付链接时上传；有链接时以系统生成的二维码为准。"),
    )

    address = models.CharField(_("地址"), max_length=200, blank=True)
    opening_hours = models.CharField(_("开放时间"), max_length=120, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[phone_validator])
    accepted_goods = models.TextField(_("接收物资"), blank=True)
    refused_goods = models.TextField(_("不接收物资"), blank=True)

    status = models.CharField(
        _("状态"), max_length=16, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE
    )
    pause_reason = models.CharField(_("暂停原因"), max_length=200, blank=True)
    sort_order = models.IntegerField(_("排序"), default=0)

    # Bumped by a compare-and-set whenever payment details change (RELIABILITY item 26).
    payment_version = models.PositiveIntegerField(_("收款信息版本"), default=0)
    # Derived for the official-channel check.
    account_digits = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    payment_url_key = models.CharField(max_length=500, blank=True, editable=False, db_index=True)

    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="donation_channel",
        for_concrete_model=False,
    )
    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="donation_channel",
        for_concrete_model=False,
    )

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("account_number"),
        index.FilterField("kind"),
        index.FilterField("status"),
        # The admin listing's default order: a search with an unusable ?ordering= falls back to it,
        # and search results can only be ordered by indexed fields (else a 500).
        index.FilterField("sort_order"),
    ]

    objects = DonationChannelQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("捐赠渠道")
        verbose_name_plural = _("捐赠渠道")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.account_digits = digits_only(self.account_number)
        self.payment_url_key = normalise_payment_url(self.payment_url or self.uploaded_qr_text())
        super().save(*args, **kwargs)

    def uploaded_qr_text(self):
        """What the uploaded QR image encodes, so the official-channel check can recognise it."""
        from home.qr import QRDecodeError, decode_qr

        if not self.qr_image_id:
            return ""
        try:
            with self.qr_image.open_file() as fileobj:
                return decode_qr(fileobj)
        except (QRDecodeError, OSError):
            return ""

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == ChannelKind.BANK:
            for field in ("account_name", "bank_name", "account_number"):
                if not getattr(self, field):
                    errors[field] = _("银行转账渠道必须填写此项。")
        if self.kind == ChannelKind.ONLINE and not (self.payment_url or self.qr_image_id):
            errors["payment_url"] = _("网络支付渠道须填写支付链接或上传收款二维码。")
        if self.kind == ChannelKind.GOODS and not self.address:
            errors["address"] = _("物资接收点必须填写地址。")
        if self.kind == ChannelKind.HOTLINE and not self.contact_phone:
            errors["contact_phone"] = _("捐赠热线必须填写电话。")
        if self.qr_image_id and not self.payment_url and not self.uploaded_qr_text():
            errors["qr_image"] = _("无法从上传的图片中识别出二维码，请上传清晰的收款二维码。")
        if self.status == ChannelStatus.PAUSED and not self.pause_reason:
            errors["pause_reason"] = _("暂停渠道时请说明原因。")
        if errors:
            raise ValidationError(errors)

    def with_content_json(self, content):
        # The version is the live row's compare-and-set counter: restoring or publishing an older
        # revision must not move it backwards.
        obj = super().with_content_json(content)
        obj.payment_version = self.payment_version
        return obj

    @property
    def is_public(self):
        return self.live and self.status == ChannelStatus.ACTIVE

    @property
    def account_number_grouped(self):
        digits = digits_only(self.account_number)
        return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))

    @property
    def payment_domain(self):
        if not self.payment_url:
            return ""
        return urlsplit(self.payment_url).hostname or ""

    @property
    def qr_digest(self):
        """Changes whenever the payment URL does, so the QR image URL changes with it."""
        if not self.payment_url:
            return ""
        return hashlib.sha256(self.payment_url.encode()).hexdigest()[:16]

    def get_preview_template(self, request, mode_name):
        return "home/includes/channel_preview.html"

    def get_preview_context(self, request, mode_name):
        return {"channel": self, "channels": [self], "preview": True}
