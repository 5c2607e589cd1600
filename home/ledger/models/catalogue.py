"""The goods catalogue: the items the ledger records and the institutions' daily stock reports use.

An item is keyed like a ledger goods row (`LedgerEntry.goods_key`: name, specification, smallest
unit), so the stock donated and allocated per item is read from the ledger by that key. The
shortage threshold (days of cover) is edited here by administrators: the supplies loop's low-code part.
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from home.ledger.models.entries import GoodsCategory

DEFAULT_SHORTAGE_THRESHOLD_DAYS = 3


class GoodsItem(models.Model):
    name = models.CharField(_("物资名称"), max_length=200)
    category = models.CharField(_("物资类别"), max_length=20, choices=GoodsCategory.choices)
    specification = models.CharField(_("规格型号"), max_length=200, blank=True)
    standard = models.CharField(
        _("执行标准"),
        max_length=100,
        blank=True,
        help_text=_("例如 GB 19083（医用防护口罩）与 GB 2626（KN95）不是同一物资。"),
    )
    unit = models.CharField(_("计量单位（最小单位）"), max_length=20)
    shortage_threshold_days = models.PositiveSmallIntegerField(
        _("短缺阈值（可用天数）"),
        default=DEFAULT_SHORTAGE_THRESHOLD_DAYS,
        validators=[MinValueValidator(1)],
        help_text=_("机构库存可用天数低于此值时自动登记“防控物资不足”问题。"),
    )
    active = models.BooleanField(_("在用"), default=True, help_text=_("停用的物资不再出现在物资日报中。"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("物资目录")
        verbose_name_plural = _("物资目录")
        ordering = ["sort_order", "name", "specification"]
        constraints = [
            models.UniqueConstraint(fields=["name", "specification", "unit"], name="goods_item_key_unique"),
            models.CheckConstraint(
                condition=models.Q(shortage_threshold_days__gte=1), name="goods_item_threshold_positive"
            ),
        ]

    def __str__(self):
        spec = f" {self.specification}" if self.specification else ""
        return f"{self.name}{spec}（{self.unit}）"

    @property
    def goods_key(self):
        return (self.name, self.specification, self.unit)
