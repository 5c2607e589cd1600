"""The allocation form the dashboard's "allocate" action pre-fills from a supply-shortage issue."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _key(s):
    return f"{s['item']}\x1f{s['specification']}\x1f{s['unit']}"


class AllocationForm(forms.Form):
    goods = forms.ChoiceField(label=_("物资"))
    quantity = forms.IntegerField(label=_("数量"), min_value=1)
    number = forms.CharField(label=_("单据编号"), max_length=40)
    entry_date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label=_("用途"), max_length=200)
    approver = forms.CharField(label=_("审批人"), max_length=100)

    def __init__(self, *args, issue, matches, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.matches = {_key(s): s for s in matches}
        self.fields["goods"].choices = [
            (
                _key(s),
                f"{s['item']} {s['specification']}"
                f"（{s['category_label']}，{_('库存')} {s['in_stock']}{s['unit']}）",
            )
            for s in matches
        ]
        today = timezone.localdate()
        self.initial.update(
            {
                "goods": _key(matches[0]) if matches else None,
                "number": f"FP-{today:%Y%m%d}-{issue.number}"[:40],
                "entry_date": today,
                "purpose": f"{_('回应问题')} {issue.number}：{issue.title}"[:200],
                "approver": (user.get_full_name() or user.get_username())[:100],
            }
        )

    def clean(self):
        data = super().clean()
        chosen = self.matches.get(data.get("goods"))
        quantity = data.get("quantity")
        if chosen and quantity and quantity > chosen["in_stock"]:
            self.add_error("quantity", _("超过库存。"))
        return data

    def goods_key(self):
        s = self.matches[self.cleaned_data["goods"]]
        return s["item"], s["specification"], s["unit"]

    def goods_category(self):
        return self.matches[self.cleaned_data["goods"]]["category"]
