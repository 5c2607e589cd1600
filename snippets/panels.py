from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import Panel


class PhotoGalleryPanel(Panel):
    """The issue's photos, shown through the permission-checked photo view (never a public URL)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("已上传照片"))
        super().__init__(**kwargs)

    @property
    def clean_name(self):
        return super().clean_name or "photo_gallery"

    class BoundPanel(Panel.BoundPanel):
        template_name = "snippets/panels/photo_gallery.html"

        def is_shown(self):
            return bool(self.instance.pk) and self.instance.photos.exists()

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["photos"] = self.instance.photos.all()
            return context


class AttachmentListPanel(Panel):
    """The issue's attachments, linked to the permission-checked download view."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("已上传附件"))
        super().__init__(**kwargs)

    @property
    def clean_name(self):
        return super().clean_name or "attachment_list"

    class BoundPanel(Panel.BoundPanel):
        template_name = "snippets/panels/attachment_list.html"

        def is_shown(self):
            return bool(self.instance.pk) and self.instance.attachments.exists()

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["attachments"] = self.instance.attachments.select_related("uploaded_by")
            return context


class AllocationsPanel(Panel):
    """Donated goods allocated to answer this issue (home.ledger entries pointing at it); for an issue
    raised by the shortage rule, the shortage's figures and, for comms while it is open, a link to
    the goods item's allocation proposal."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("回应该问题的物资分配"))
        super().__init__(**kwargs)

    @property
    def clean_name(self):
        return super().clean_name or "allocations"

    class BoundPanel(Panel.BoundPanel):
        template_name = "snippets/panels/allocations.html"

        def _allocations(self):
            related = getattr(self.instance, "ledger_allocations", None)
            return list(related.all()) if related is not None and self.instance.pk else []

        def _shortage(self):
            from snippets.models import SupplyShortage

            if not self.instance.pk:
                return None
            return SupplyShortage.objects.select_related("goods").filter(issue=self.instance).first()

        def is_shown(self):
            return bool(self._allocations()) or self._shortage() is not None

        def get_context_data(self, parent_context=None):
            from snippets import allocations

            context = super().get_context_data(parent_context)
            shortage = self._shortage()
            context["allocations"] = self._allocations()
            context["shortage"] = shortage
            is_open = shortage is not None and shortage.closed_at is None
            if is_open and allocations.may_confirm(self.request.user):
                context["proposal_url"] = reverse("snippets_allocation_proposal", args=[shortage.goods_id])
            return context
