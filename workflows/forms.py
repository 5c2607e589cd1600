from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); the images are checked by
    `snippets.images.sanitise_image` in the view."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return single(data, initial)


class MoveForm(forms.Form):
    """Input of one stage move; the service decides what is required for which move."""

    request_key = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("说明 / 退回理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.CharField(label=_("整改情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    responsible_person = forms.ModelChoiceField(
        label=_("整改责任人"), queryset=get_user_model().objects.none(), required=False
    )
    deadline = forms.DateField(
        label=_("整改期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    after_photos = MultipleFileField(label=_("整改后照片"), required=False)

    def __init__(self, *args, issue=None, **kwargs):
        super().__init__(*args, **kwargs)
        if issue is not None:
            self.fields["responsible_person"].queryset = issue.institution.responsible_users.all()


class BulkDecisionForm(forms.Form):
    ACTIONS = (("close", _("批量销号")), ("return", _("批量退回")))

    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(label=_("退回理由"), required=False)
    bulk_key = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)
