"""Admin wiring of the ledger: a "捐赠台账" menu group, log actions, and the publish guard."""

from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from home.ledger import admin_views, listing
from home.ledger.models import DisclosurePage, DisclosureRecord, GoodsItem, ImportBatch, LedgerEntry
from snippets.listing import swap_listing_urls


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


class LedgerToolsViewSet(ViewSet):
    """Upload, batch reports, template and export downloads, late items (views in admin_views)."""

    name = "ledger_admin"
    url_prefix = "ledger"
    icon = "upload"
    menu_label = _("导入台账")
    menu_icon = "upload"

    @property
    def menu_url(self):
        return reverse("ledger_admin:upload")

    def get_menu_item(self, order=None):
        return PermissionMenuItem(
            self.menu_label,
            self.menu_url,
            name="ledger-import",
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
            permission=admin_views.PERM_IMPORT,
        )

    def get_urlpatterns(self):
        return [
            path("", admin_views.upload, name="upload"),
            path("entry/<str:kind>/", admin_views.hand_entry, name="hand_entry"),
            path("batches/<int:pk>/", admin_views.batch_detail, name="batch"),
            path("template.xlsx", admin_views.template_download, name="template"),
            path("export.xlsx", admin_views.staff_export, name="export"),
            path("late/", admin_views.late, name="late"),
            path("donors/<int:pk>/anonymise/", admin_views.anonymise, name="anonymise"),
            path("entries/<int:pk>/", admin_views.manage_entry, name="entry"),
            path("entries/find/", admin_views.find_entry, name="find"),
            path("draft/", admin_views.draft, name="draft"),
            path("refused/<int:pk>/", admin_views.refused, name="refused"),
        ]


class LateViewSet(ViewSet):
    name = "ledger_late"
    menu_label = _("时效提醒")
    menu_icon = "time"

    @property
    def menu_url(self):
        return reverse("ledger_admin:late")

    def get_menu_item(self, order=None):
        return PermissionMenuItem(
            self.menu_label,
            self.menu_url,
            name="ledger-late",
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
            permission=admin_views.PERM_VIEW_ENTRIES,
        )

    def get_urlpatterns(self):
        return []


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Ledger rows and records change only through services (and the database refuses the rest)."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete"):
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


for _model in (LedgerEntry, ImportBatch, DisclosureRecord):
    register_permission_policy(_model, ReadOnlyPolicy(_model))


class ReadOnlyViewSet(ModelViewSet):
    inspect_view_enabled = True


class LedgerEntryViewSet(ReadOnlyViewSet):
    name = "ledger_entries"
    model = LedgerEntry
    icon = "list-ul"
    menu_label = _("台账记录")
    inspect_view_enabled = True
    list_display = ["number", "kind", "entry_date", "amount", "item", "quantity", "unit", "frozen"]
    list_filter = ["kind", "entry_date", "frozen", "category"]
    list_per_page = 100
    search_fields = ["number", "item", "recipient_name"]
    inspect_view_fields = [
        "number",
        "kind",
        "entry_date",
        "amount",
        "purpose",
        "channel_name",
        "category",
        "item",
        "specification",
        "standard",
        "unit",
        "quantity",
        "package_unit",
        "batch_number",
        "expiry_date",
        "estimated_value",
        "receiving_point",
        "recipient_name",
        "approver",
        "corrects",
        "correction_reason",
        "frozen",
    ]
    # Entries come from imports and correcting entries, not from a hand-edited form.
    form_fields = ["number"]

    def get_urlpatterns(self):
        # The listing page is our own (issue #16): Wagtail's generic one was 11-12x a bare table.
        return swap_listing_urls(self, super().get_urlpatterns(), listing.LedgerEntryListingView)


class ImportBatchViewSet(ReadOnlyViewSet):
    name = "ledger_batches"
    model = ImportBatch
    icon = "doc-full"
    menu_label = _("导入记录")
    inspect_view_enabled = True
    list_display = ["filename", "uploaded_by", "created_at", "status", "message"]
    list_filter = ["status"]
    form_fields = ["filename"]


class DisclosureRecordViewSet(ReadOnlyViewSet):
    name = "ledger_records"
    model = DisclosureRecord
    icon = "lock"
    menu_label = _("公示记录与摘要链")
    inspect_view_enabled = True
    list_display = ["disclosure_date", "version", "sequence", "published_at", "digest", "bypassed_moderation"]
    form_fields = ["reason"]


class LedgerGroup(ViewSetGroup):
    menu_label = _("捐赠台账")
    menu_icon = "table"
    menu_order = 250
    items = (LedgerToolsViewSet, LateViewSet, LedgerEntryViewSet, ImportBatchViewSet, DisclosureRecordViewSet)


@hooks.register("register_admin_viewset")
def register_ledger_viewsets():
    return LedgerGroup()


@hooks.register("register_log_actions")
def register_ledger_log_actions(actions):
    actions.register_action("ledger.entry.correct", _("更正台账记录"), _("已更正台账记录"))
    actions.register_action("ledger.donor.anonymise", _("捐赠人匿名"), _("捐赠人已匿名"))
    actions.register_action("ledger.disclosure.publish", _("发布公示并冻结"), _("公示已发布并冻结"))


@hooks.register("before_publish_page")
def refuse_unbalanced_disclosure(request, page):
    """Say where the difference is instead of failing inside DisclosurePage.publish."""
    if not isinstance(page.specific, DisclosurePage):
        return None
    from home.ledger.services import publish_refusal

    stored = DisclosurePage.objects.get(pk=page.pk)
    refusal = publish_refusal(stored, page.specific)
    if refusal is None:
        return None
    messages.error(request, refusal)
    return redirect("wagtailadmin_pages:edit", page.pk)


class GoodsItemViewSet(SnippetViewSet):
    """The goods catalogue with its shortage thresholds: administrators edit it (the supplies
    loop's low-code rule), comms and leadership read it."""

    model = GoodsItem
    icon = "clipboard-list"
    menu_label = _("物资目录")
    menu_order = 208
    add_to_admin_menu = True
    list_display = ["name", "specification", "standard", "unit", "shortage_threshold_days", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name", "specification", "standard"]
    search_backend_name = None
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("category")]),
        FieldRowPanel([FieldPanel("specification"), FieldPanel("standard"), FieldPanel("unit")]),
        FieldRowPanel(
            [FieldPanel("shortage_threshold_days"), FieldPanel("active"), FieldPanel("sort_order")]
        ),
    ]


register_snippet(GoodsItemViewSet)
