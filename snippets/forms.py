"""Forms of the inspection records, and the sanitising base form for Wagtail image uploads."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from snippets import attachments, permissions, services
from snippets.choices import Answer
from snippets.images import sanitise_image

MAX_PHOTOS_PER_FIELD = 10
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


class SanitisingWagtailImageField(WagtailImageField):
    """Runs `snippets.images.sanitise_image` before Wagtail's own checks, so a bomb is refused
    before Willow decodes it and the stored original carries no EXIF."""

    def to_python(self, data):
        if data in self.empty_values or not hasattr(data, "read"):
            return super().to_python(data)
        clean = sanitise_image(data)
        cleaned_upload = SimpleUploadedFile(clean.name, clean.content, content_type=clean.content_type)
        return super().to_python(cleaned_upload)


class SanitisedImageForm(BaseImageForm):
    """WAGTAILIMAGES_IMAGE_FORM_BASE: every Wagtail image upload goes through the sanitiser."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("file")
        if field is not None and isinstance(field, WagtailImageField):
            field.__class__ = SanitisingWagtailImageField


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; every file is checked and each bad one is named."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": PHOTO_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(files) > MAX_PHOTOS_PER_FIELD:
            raise ValidationError(_("一次最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS_PER_FIELD})
        cleaned, errors = [], []
        for upload in files:
            try:
                cleaned.append(sanitise_image(upload))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


MAX_ATTACHMENTS_PER_FIELD = 10


class AttachmentsField(forms.FileField):
    """Several attachments in one input; every file is checked and each bad one is named."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": attachments.ACCEPT}))
        kwargs.setdefault("help_text", _("PDF、DOCX、XLSX、TXT、CSV，可多选。"))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(files) > MAX_ATTACHMENTS_PER_FIELD:
            raise ValidationError(_("一次最多上传 %(n)d 个附件。") % {"n": MAX_ATTACHMENTS_PER_FIELD})
        cleaned, errors = [], []
        for upload in files:
            try:
                cleaned.append(attachments.check_attachment(upload))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class IssueForm(WagtailAdminModelForm):
    """Issue create/edit form. Responsible units may change only their rectification fields."""

    photos = PhotosField(label=_("照片"))
    attachments = AttachmentsField(label=_("附件"))

    UNIT_EDITABLE = ("rectification_plan", "responsible_person", "photos", "attachments")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("deadline", "severity"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = _("留空则按问题类别的默认值。")
        user = self.for_user
        # Choice lists only offer what the user may see (a disabled select still lists its options).
        scopes = {"institution": permissions.institutions_for, "visit": permissions.visits_for}
        for name, scope in scopes.items():
            if name in self.fields and user is not None:
                self.fields[name].queryset = scope(user)
        if user is not None and not permissions.sees_everything(user):
            for name, field in self.fields.items():
                if name not in self.UNIT_EDITABLE:
                    field.disabled = True

    def clean(self):
        cleaned = super().clean()
        category = cleaned.get("category")
        if category is not None:
            if not cleaned.get("severity"):
                cleaned["severity"] = category.default_severity
                self.instance.severity = category.default_severity
            if not cleaned.get("deadline") and cleaned.get("found_on"):
                cleaned["deadline"] = services.default_deadline(category, cleaned["found_on"])
                self.instance.deadline = cleaned["deadline"]
        return cleaned

    def save(self, commit=True):
        instance = super().save(commit=False)
        if not commit:
            return instance
        if instance.pk is None and instance.reported_by_id is None:
            instance.reported_by = self.for_user
        with services.photo_transaction() as saved_names:
            instance.save()
            self.save_m2m()
            services.store_photos(
                self.cleaned_data.get("photos") or [], self.for_user, issue=instance, saved_names=saved_names
            )
            services.store_attachments(
                self.cleaned_data.get("attachments") or [],
                self.for_user,
                issue=instance,
                saved_names=saved_names,
            )
        return instance


class ChecklistForm(forms.Form):
    """One block per checklist answer: result, note, photos. Field names carry the answer id."""

    def __init__(self, answers, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = answers
        for answer in answers:
            self.fields[f"answer-{answer.pk}"] = forms.ChoiceField(
                label=answer.item.text,
                choices=Answer.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=answer.answer or None,
            )
            self.fields[f"note-{answer.pk}"] = forms.CharField(
                label=_("说明"), required=False, max_length=500, initial=answer.note
            )
            self.fields[f"photos-{answer.pk}"] = PhotosField(label=_("照片"))

    def blocks(self):
        for answer in self.answers:
            yield {
                "answer": answer,
                "result": self[f"answer-{answer.pk}"],
                "note": self[f"note-{answer.pk}"],
                "photos": self[f"photos-{answer.pk}"],
            }

    def entries(self):
        return {
            answer.pk: (
                self.cleaned_data.get(f"answer-{answer.pk}") or "",
                self.cleaned_data.get(f"note-{answer.pk}") or "",
                self.cleaned_data.get(f"photos-{answer.pk}") or [],
            )
            for answer in self.answers
        }


class InspectionRoundForm(WagtailAdminModelForm):
    """Once the draw is sealed its parameters and the mode are fixed: the commitment covers them."""

    SEALED_FIELDS = (
        "mode",
        "institutions",
        "draw_institution_count",
        "draw_kinds",
        "draw_inspectors_per_visit",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_sealed:
            for name in self.SEALED_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("已抽取并封存，不能修改。")

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("结束日期不能早于开始日期。"))
        return cleaned
