"""Ledger entries (cash in, goods in, allocations out, corrections), donors and import batches.

Entries are written by `home.ledger.importers` and `home.ledger.services`; once their day is
published (`frozen`), the database refuses to change or delete them (triggers in migration 0001).
Donor identity lives in `Donor` (public name, masked on output) and `DonorPrivate` (phone, ID
number, note), never on the entry, so a donor's later request for anonymity changes no ledger row.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ANONYMOUS_NAME = "爱心人士"

# Two-character family names: masking keeps the whole family name (欧阳** not 欧**).
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "端木",
        "西门",
        "南宫",
        "独孤",
        "百里",
        "呼延",
        "申屠",
        "万俟",
        "闻人",
        "澹台",
        "公冶",
        "宗政",
        "濮阳",
        "太叔",
        "仲孙",
        "赫连",
        "拓跋",
        "左丘",
        "第五",
    ]
)


class EntryKind(models.TextChoices):
    CASH = "cash", _("现金捐赠")
    GOODS = "goods", _("物资捐赠")
    ALLOCATION = "allocation", _("分配拨付")


class DonorType(models.TextChoices):
    INDIVIDUAL = "individual", _("个人")
    ORGANISATION = "organisation", _("单位")


class GoodsCategory(models.TextChoices):
    MASKS = "masks", _("口罩")
    SUITS = "suits", _("防护服")
    DISINFECTANT = "disinfectant", _("消毒用品")
    THERMOMETERS = "thermometers", _("体温计")
    FOOD = "food", _("食品")
    OTHER = "other", _("其他")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


def mask_name(name, donor_type, anonymous):
    """The bureau's rule: anonymous → 爱心人士; individual → family name + one * per other character."""
    name = (name or "").strip()
    if anonymous or not name:
        return ANONYMOUS_NAME
    if donor_type == DonorType.ORGANISATION:
        return name
    family = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
    return family + "*" * max(1, len(name) - len(family))


class Donor(models.Model):
    """A donor's public identity. Names are shown masked; private details are in DonorPrivate."""

    name = models.CharField(_("捐赠人"), max_length=200, blank=True)
    donor_type = models.CharField(_("捐赠人类型"), max_length=20, choices=DonorType.choices)
    anonymous = models.BooleanField(_("匿名"), default=False)
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("捐赠人")
        verbose_name_plural = _("捐赠人")

    def __str__(self):
        return self.public_name

    @property
    def public_name(self):
        return mask_name(self.name, self.donor_type, self.anonymous)


class DonorPrivate(models.Model):
    """Personal data kept for receipts and thank-you letters; never leaves the admin."""

    donor = models.OneToOneField(Donor, on_delete=models.CASCADE, related_name="private")
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    id_number = models.CharField(_("证件号码"), max_length=40, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("捐赠人隐私信息")
        verbose_name_plural = _("捐赠人隐私信息")

    def __str__(self):
        return str(_("隐私信息"))


class ImportBatch(models.Model):
    """One uploaded ledger file: who, when, its hash, counts and every row error."""

    sha256 = models.CharField(_("文件 SHA-256"), max_length=64, db_index=True)
    filename = models.CharField(_("文件名"), max_length=255)
    stored_name = models.CharField(max_length=255, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING, db_index=True
    )
    dry_run = models.BooleanField(_("仅校验"), default=False)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    total_rows = models.PositiveIntegerField(_("行数"), default=0)
    cash_count = models.PositiveIntegerField(_("现金捐赠"), default=0)
    goods_count = models.PositiveIntegerField(_("物资捐赠"), default=0)
    allocation_count = models.PositiveIntegerField(_("分配拨付"), default=0)
    skipped_count = models.PositiveIntegerField(_("已存在跳过"), default=0)
    message = models.CharField(_("结果"), max_length=500, blank=True)
    errors = models.JSONField(_("错误"), default=list, blank=True)

    class Meta:
        verbose_name = _("台账导入批次")
        verbose_name_plural = _("台账导入批次")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def stored_count(self):
        return self.cash_count + self.goods_count + self.allocation_count


class LedgerEntry(models.Model):
    """One line of the ledger. `number` is the receipt (or allocation) number, unique ledger-wide.

    Amounts and quantities are positive except on a correcting entry (`corrects` set), which
    reverses or adjusts an earlier entry of the same kind on a later day, with a reason.
    """

    number = models.CharField(_("单据编号"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=12, choices=EntryKind.choices, db_index=True)
    entry_date = models.DateField(_("日期"), db_index=True)
    donor = models.ForeignKey(
        Donor,
        verbose_name=_("捐赠人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    channel_name = models.CharField(_("捐赠渠道"), max_length=200, blank=True)
    channel = models.ForeignKey(
        "home.DonationChannel",
        verbose_name=_("官方渠道"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    # Goods.
    category = models.CharField(_("物资类别"), max_length=20, choices=GoodsCategory.choices, blank=True)
    item = models.CharField(_("物资名称"), max_length=200, blank=True)
    specification = models.CharField(_("规格型号"), max_length=200, blank=True)
    standard = models.CharField(_("执行标准"), max_length=100, blank=True)
    unit = models.CharField(_("计量单位（最小单位）"), max_length=20, blank=True)
    quantity = models.BigIntegerField(_("数量"), null=True, blank=True)
    package_unit = models.CharField(_("包装单位"), max_length=50, blank=True)
    batch_number = models.CharField(_("批号"), max_length=100, blank=True)
    expiry_date = models.DateField(_("有效期至"), null=True, blank=True)
    estimated_value = models.DecimalField(
        _("估值（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    receiving_point = models.CharField(_("接收点"), max_length=200, blank=True)
    # Allocations.
    recipient_name = models.CharField(_("接收单位"), max_length=200, blank=True)
    recipient = models.ForeignKey(
        "snippets.Institution",
        verbose_name=_("接收机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_allocations",
    )
    issue = models.ForeignKey(
        "snippets.Issue",
        verbose_name=_("回应的问题"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_allocations",
    )
    approver = models.CharField(_("审批人"), max_length=100, blank=True)
    # The designated (定向) donation this allocation carries out: the timeliness monitor reads
    # this link (services.late_items) instead of searching purpose texts for receipt numbers.
    designated_donation = models.ForeignKey(
        "self",
        verbose_name=_("对应的定向捐赠"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="designated_allocations",
        limit_choices_to={"kind__in": ["cash", "goods"]},
    )
    # Corrections.
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("更正的记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    correction_reason = models.CharField(_("更正原因"), max_length=500, blank=True)
    # Provenance; (batch, sheet, row_number) is the import's idempotency key.
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", editable=False
    )
    sheet = models.CharField(max_length=31, blank=True, editable=False)
    row_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    frozen = models.BooleanField(_("已公示冻结"), default=False, editable=False, db_index=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("台账记录")
        verbose_name_plural = _("台账记录")
        ordering = ["entry_date", "number"]
        indexes = [
            models.Index(fields=["entry_date", "kind", "number"], name="ledger_day_kind_number"),
            # The dashboard's donation figures (issue #8, measurement 8): cash sums, donation
            # counts and goods in stock, one grouped pass over this index alone, in its order.
            models.Index(
                fields=[
                    "kind",
                    "item",
                    "specification",
                    "unit",
                    "entry_date",
                    "corrects",
                    "amount",
                    "quantity",
                    "category",
                    "standard",
                ],
                name="ledger_dashboard_cover",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "sheet", "row_number"],
                condition=Q(batch__isnull=False),
                name="ledger_entry_batch_row_unique",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=False) | Q(amount__isnull=True) | Q(amount__gt=0),
                name="ledger_entry_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=False) | Q(quantity__isnull=True) | Q(quantity__gt=0),
                name="ledger_entry_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(correction_reason=""),
                name="ledger_entry_correction_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind="cash") | Q(amount__isnull=False),
                name="ledger_entry_cash_has_amount",
            ),
            models.CheckConstraint(
                condition=~Q(kind="goods") | (Q(quantity__isnull=False) & ~Q(item="") & ~Q(unit="")),
                name="ledger_entry_goods_has_item",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.get_kind_display()}"

    @property
    def is_correction(self):
        return self.corrects_id is not None

    @property
    def public_donor_name(self):
        if self.kind == EntryKind.ALLOCATION:
            return ""
        return self.donor.public_name if self.donor_id else mask_name("", "", True)

    @property
    def goods_key(self):
        return (self.item, self.specification, self.unit)

    @property
    def cash_delta(self):
        """Signed effect on the cash balance."""
        amount = self.amount or Decimal("0.00")
        if self.kind == EntryKind.CASH:
            return amount
        if self.kind == EntryKind.ALLOCATION:
            return -amount
        return Decimal("0.00")
