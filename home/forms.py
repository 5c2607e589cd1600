from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms import WagtailAdminModelForm

from home.models.channels import account_number_validator, validate_https_url

MAX_QR_UPLOAD_BYTES = 5 * 1024 * 1024


class DonationChannelAdminForm(WagtailAdminModelForm):
    """Carries the payment-details version the editor saw; the edit view compares-and-sets it."""

    payment_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_version"].initial = self.instance.payment_version or 0

    def clean_payment_version(self):
        value = self.cleaned_data.get("payment_version")
        return self.instance.payment_version if value is None else value

    def get_field_updates_for_resave(self):
        # After a background save (autosave) the open editor carries on with the new version.
        updates = list(super().get_field_updates_for_resave())
        updates.append(("payment_version", str(self.instance.payment_version)))
        return updates


class ChannelCheckForm(forms.Form):
    account_number = forms.CharField(
        label=_("银行账号"),
        required=False,
        max_length=48,
        validators=[account_number_validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    payment_url = forms.CharField(
        label=_("支付链接"),
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"autocomplete": "off", "placeholder": "https://"}),
    )
    qr_photo = forms.ImageField(
        label=_("收款二维码照片"),
        required=False,
        help_text=_("照片只用于识别，不会被保存。"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_payment_url(self):
        value = self.cleaned_data["payment_url"].strip()
        if value and not value.lower().startswith("https://"):
            # Not ours for certain: every official payment link is https. Still report "unknown".
            return value
        if value:
            validate_https_url(value)
        return value

    def clean_qr_photo(self):
        photo = self.cleaned_data.get("qr_photo")
        if photo and photo.size > MAX_QR_UPLOAD_BYTES:
            raise forms.ValidationError(_("照片不能超过 5 MB。"))
        return photo

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not any(
            cleaned.get(name) for name in ("account_number", "payment_url", "qr_photo")
        ):
            raise forms.ValidationError(_("请填写账号、支付链接，或上传二维码照片中的一项。"))
        return cleaned
