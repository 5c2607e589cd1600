from django import forms
from django.db import models

from snippets.choices import InstitutionKind


class InstitutionKindsField(models.JSONField):
    """A list of institution kinds, edited as checkboxes. An empty list means every kind."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return forms.MultipleChoiceField(
            choices=InstitutionKind.choices,
            widget=forms.CheckboxSelectMultiple,
            required=not self.blank,
            label=self.verbose_name,
            help_text=self.help_text,
        )


def kinds_include(kinds, kind):
    return not kinds or kind in kinds
