"""The phone-sized daily stock report form. Field types are checked here; the rules (use > 0,
catalogue, future day, whole numbers) are `snippets.stock.clean_report`, the one code path."""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from snippets.stock import line_field

LINE_KEY = re.compile(r"^goods-(\d+)-(on_hand|daily_use)$")


class StockReportForm(forms.Form):
    institution = forms.ModelChoiceField(label=_("机构"), queryset=None, empty_label=None)
    # ISO format: an <input type=date> shows nothing for a localised date.
    day = forms.DateField(label=_("日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    staff_count = forms.CharField(
        label=_("工作人员数"), widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
    )
    residents_count = forms.CharField(
        label=_("在住人数"), widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
    )

    def __init__(self, *args, institutions, goods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions
        self.fields["day"].initial = timezone.localdate()
        self.goods = goods
        for item in goods:
            for name, label in (("on_hand", _("库存数量")), ("daily_use", _("日消耗量"))):
                self.fields[line_field(item.pk, name)] = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                )

    def rows(self):
        """(goods item, on_hand bound field, daily_use bound field) for the template."""
        return [
            (item, self[line_field(item.pk, "on_hand")], self[line_field(item.pk, "daily_use")])
            for item in self.goods
        ]

    def lines(self):
        """(goods id, on_hand, daily_use) as typed; a row left empty is not reported. Keys naming a
        goods item outside the form (a crafted or stale POST) are passed on, to be refused."""
        known = {item.pk for item in self.goods}
        lines = []
        for item in self.goods:
            on_hand = (self.cleaned_data.get(line_field(item.pk, "on_hand")) or "").strip()
            use = (self.cleaned_data.get(line_field(item.pk, "daily_use")) or "").strip()
            if on_hand or use:
                lines.append((item.pk, on_hand, use))
        extra = {}
        for key, value in self.data.items():
            match = LINE_KEY.match(key)
            if match and int(match.group(1)) not in known and str(value).strip():
                extra.setdefault(int(match.group(1)), {})[match.group(2)] = value
        for goods_id, figures in sorted(extra.items()):
            lines.append((goods_id, figures.get("on_hand", ""), figures.get("daily_use", "")))
        return lines

    def add_service_errors(self, error):
        """Put a ValidationError of `clean_report` on the fields it names."""
        for field, messages in error.message_dict.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)
