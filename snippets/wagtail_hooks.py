"""Admin wiring of the inspection records: snippet viewsets grouped in one menu, the scoped
permission policies, the phone-sized visit pages. Rules live in services.py and permissions.py."""

from functools import wraps

import django_filters

from django.contrib.admin.utils import unquote
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.widgets import ListingButton
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView as SnippetCreateView
from wagtail.snippets.views.snippets import EditView as SnippetEditView
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup
from wagtail.snippets.widgets import AdminSnippetChooser

from snippets import admin_scope, listing, permissions, services, views
from snippets.choices import Area
from snippets.choosers import ScopedSnippetChooserViewSet
from snippets.forms import InspectionRoundForm, IssueForm
from snippets.menus import INSPECTION_MENU_HOOK, ORDER
from snippets.models import (
    ChecklistTemplate,
    InspectionRound,
    InspectorProfile,
    Institution,
    Issue,
    IssueCategory,
    Visit,
)
from snippets.panels import AllocationsPanel, AttachmentListPanel, PhotoGalleryPanel
from workflows.choices import Stage


def _scoped(view, scope):
    """Wrap an object view (any URL with a pk) so a record outside the user's scope is a 404,
    whatever Wagtail view serves it (edit, delete, inspect, history, usage, copy)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        pk = kwargs.get("pk")
        if pk is not None:
            try:
                visible = scope(request.user).filter(pk=int(unquote(str(pk)))).exists()
            except ValueError:
                visible = False
            if not visible:
                raise Http404
        return view(request, *args, **kwargs)

    return wrapper


class ScopedSnippetViewSet(SnippetViewSet):
    scope = None
    # Plain icontains over search_fields: works on the scoped queryset and suits Chinese text,
    # which the database search backend does not tokenise.
    search_backend_name = None
    inspect_view_enabled = True
    chooser_viewset_class = ScopedSnippetChooserViewSet

    def get_queryset(self, request):
        return self.scope(request.user)

    def get_urlpatterns(self):
        patterns = super().get_urlpatterns()
        for pattern in patterns:
            if (
                "<str:pk>" in str(pattern.pattern)
                or "<int:pk>" in str(pattern.pattern)
                or "pk>" in str(pattern.pattern)
            ):
                pattern.callback = _scoped(pattern.callback, type(self).scope)
        return patterns


class PhotoStorageFaultMixin:
    """A full or broken photo store: nothing is saved and the form comes back with its text."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.PhotoStorageError:
            form.add_error(None, _("照片或附件保存失败（存储空间不足或不可写），问题未保存，请稍后重试。"))
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class IssueCreateView(PhotoStorageFaultMixin, SnippetCreateView):
    pass


class IssueEditView(PhotoStorageFaultMixin, SnippetEditView):
    pass


class FilterChooser(AdminSnippetChooser):
    """A related-record filter as a chooser button instead of a dropdown of every record: the page
    renders no options (no query, no markup per record) and the modal searches and pages. The chosen
    record's label is read through `queryset`, the same scoped one the filter validates against, so
    a hand-written ?visit=<id> outside the user's scope shows nothing."""

    def __init__(self, model, queryset, **kwargs):
        super().__init__(model, **kwargs)
        self.queryset = queryset

    def get_instance(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, self.model_class):
            return value
        try:
            return self.queryset.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            return None

    def get_value_data_from_instance(self, instance):
        # No edit link: a filter only narrows the listing (and the link would cost a permission check).
        return {"id": instance.pk, "edit_url": None, self.display_title_key: self.get_display_title(instance)}


class ScopedFilterSet(WagtailFilterSet):
    """Choice lists of related records are narrowed to what the user may see: a filter dropdown
    must not reveal an unannounced round or another institution's name.

    Filters named in `chooser_filters` render as a chooser (`FilterChooser`) instead of a dropdown:
    the issues listing filters by institution, visit and category, and rendering every institution and
    visit as an option cost a query each and a quarter of the page's time (issue #8, measurement 9).
    """

    chooser_filters = ()

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        for name, filter_ in self.filters.items():
            queryset = getattr(filter_, "queryset", None)
            model = getattr(queryset, "model", None)
            scope = permissions.SCOPES.get(model)
            if scope is not None:
                filter_.queryset = scope(user) if user is not None else queryset.none()
                # A visit's label names its round and institution: join them, or the dropdown
                # costs two queries per visit (issue #8, measurement 9).
                if model is Visit:
                    filter_.queryset = filter_.queryset.select_related("inspection_round", "institution")
            if name in self.chooser_filters and model is not None:
                filter_.extra["widget"] = FilterChooser(model, filter_.queryset)


class VisitFilterSet(ScopedFilterSet):
    class Meta:
        model = Visit
        fields = ["state", "inspection_round", "institution"]


class IssueFilterSet(ScopedFilterSet):
    stage = django_filters.ChoiceFilter(label=_("阶段"), choices=Stage.choices)
    township = django_filters.CharFilter(label=_("乡镇（街道）"), field_name="institution__township")
    area = django_filters.ChoiceFilter(label=_("城乡"), field_name="institution__area", choices=Area.choices)
    overdue = django_filters.BooleanFilter(label=_("已逾期"), method="filter_overdue")

    chooser_filters = ("category", "institution", "visit")

    class Meta:
        model = Issue
        fields = ["stage", "category", "institution", "severity", "visit"]

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        if value is None:
            return queryset
        overdue = queryset.filter(deadline__lt=timezone.localdate()).exclude(stage=Stage.CLOSED)
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class InstitutionViewSet(ScopedSnippetViewSet):
    model = Institution
    scope = staticmethod(permissions.institutions_for)
    icon = "home"
    menu_label = _("机构")
    menu_order = ORDER["institutions"]
    list_display = ["name", "kind", "township", "area", "beds", "residents", "staff"]
    list_filter = ["kind", "township", "area"]
    search_fields = ["name", "township", "address"]
    list_export = [
        "name",
        "kind",
        "township",
        "area",
        "address",
        "contact_person",
        "contact_phone",
        "beds",
        "residents",
        "staff",
    ]
    export_filename = "institutions"
    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("area")]),
        FieldPanel("township"),
        FieldPanel("address"),
        FieldRowPanel([FieldPanel("contact_person"), FieldPanel("contact_phone")]),
        FieldRowPanel([FieldPanel("beds"), FieldPanel("residents"), FieldPanel("staff")]),
        FieldPanel("responsible_users"),
    ]


class IssueCategoryViewSet(SnippetViewSet):
    model = IssueCategory
    icon = "tag"
    menu_label = _("问题类别")
    menu_order = ORDER["categories"]
    list_display = ["code", "name", "default_severity", "default_deadline_days", "closure_needs_leadership"]
    list_export = ["code", "name", "default_severity", "default_deadline_days", "closure_needs_leadership"]
    search_fields = ["code", "name"]
    ordering = ["sort_order", "code"]


class ChecklistTemplateViewSet(SnippetViewSet):
    model = ChecklistTemplate
    icon = "list-ol"
    menu_label = _("检查表模板")
    menu_order = ORDER["checklist_templates"]
    list_display = ["name", "is_active"]


class InspectorProfileViewSet(SnippetViewSet):
    model = InspectorProfile
    icon = "user"
    menu_label = _("督查员档案")
    menu_order = ORDER["inspector_profiles"]
    list_display = ["user", "township"]


class InspectionRoundViewSet(ScopedSnippetViewSet):
    model = InspectionRound
    scope = staticmethod(permissions.rounds_for)
    icon = "calendar-alt"
    menu_label = _("督查轮次")
    menu_order = ORDER["rounds"]
    list_display = ["name", "mode", "starts_on", "ends_on", "sealed_at", "draw_commitment"]
    list_filter = ["mode"]
    search_fields = ["name"]
    list_export = ["name", "mode", "starts_on", "ends_on", "sealed_at", "draw_commitment", "revealed_seed"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("mode"),
            FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
            FieldPanel("team"),
            FieldPanel("institutions"),
            MultiFieldPanel(
                [
                    FieldPanel("draw_institution_count"),
                    FieldPanel("draw_kinds"),
                    FieldPanel("draw_inspectors_per_visit"),
                ],
                heading=_("双随机抽取"),
            ),
        ],
        base_form_class=InspectionRoundForm,
    )


class VisitViewSet(ScopedSnippetViewSet):
    model = Visit
    scope = staticmethod(permissions.visits_for)
    icon = "tasks"
    menu_label = _("检查")
    menu_order = ORDER["visits"]
    list_display = ["institution", "inspection_round", "planned_on", "state"]
    filterset_class = VisitFilterSet
    list_export = ["inspection_round", "institution", "planned_on", "state", "completed_at"]
    panels = [
        FieldPanel("inspection_round"),
        FieldPanel("institution"),
        FieldPanel("planned_on"),
        FieldPanel("inspectors"),
        FieldPanel("template"),
        FieldPanel("notes"),
    ]


class IssueViewSet(ScopedSnippetViewSet):
    model = Issue
    scope = staticmethod(permissions.issues_for)
    icon = "warning"
    menu_label = _("问题")
    menu_order = ORDER["issues"]
    add_view_class = IssueCreateView
    edit_view_class = IssueEditView
    filterset_class = IssueFilterSet
    list_display = ["number", "title", "institution", "category", "severity", "stage", "deadline"]
    search_fields = ["number", "title", "description"]
    list_export = [
        "number",
        "title",
        "description",
        "category",
        "institution",
        "institution.township",
        "institution.area",
        "found_on",
        "severity",
        "responsible_person",
        "rectification_plan",
        "deadline",
        "stage",
    ]
    export_headings = {"institution.township": _("乡镇（街道）"), "institution.area": _("城乡")}
    export_filename = "issues"
    ordering = ["-found_on", "-number"]
    list_per_page = 100

    def get_queryset(self, request):
        # The listing shows each row's institution and category: one join, not a query per row.
        return super().get_queryset(request).select_related("institution", "category")

    def get_urlpatterns(self):
        # The listing page is our own (issue #16): Wagtail's generic one was 11-21x a bare table.
        return listing.swap_listing_urls(self, super().get_urlpatterns(), listing.IssueListingView)

    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldRowPanel([FieldPanel("category"), FieldPanel("severity")]),
            FieldPanel("institution"),
            FieldRowPanel([FieldPanel("found_on"), FieldPanel("deadline")]),
            FieldPanel("visit"),
            FieldPanel("description"),
            FieldPanel("responsible_person"),
            FieldPanel("rectification_plan"),
            FieldPanel("photos"),
            PhotoGalleryPanel(),
            FieldPanel("attachments"),
            AttachmentListPanel(),
            AllocationsPanel(),
        ],
        base_form_class=IssueForm,
    )


class InspectionViewSetGroup(SnippetViewSetGroup):
    menu_label = _("督查整改")
    menu_icon = "tasks"
    menu_order = 210
    # The closure queue, the rectification ledger and the calendar join this menu (snippets.menus).
    submenu_hook = INSPECTION_MENU_HOOK
    items = (
        IssueViewSet,
        VisitViewSet,
        InspectionRoundViewSet,
        InstitutionViewSet,
        IssueCategoryViewSet,
        ChecklistTemplateViewSet,
        InspectorProfileViewSet,
    )


for _model, _scope in permissions.SCOPES.items():
    register_permission_policy(_model, permissions.ScopedPermissionPolicy(_model, _scope))

register_snippet(InspectionViewSetGroup)

# Scoped replacements of every Wagtail bulk action (snippets/admin_scope.py); a later order than
# Wagtail's own registrations, so the registry keeps these for each model and action.
for _action_class in admin_scope.SCOPED_BULK_ACTIONS:
    hooks.register("register_bulk_action", _action_class, order=1)


@hooks.register("register_admin_urls")
def register_visit_urls():
    return [
        path("inspections/visits/", views.visit_list, name="snippets_visit_list"),
        path("inspections/visits/<int:pk>/", views.visit_checklist, name="snippets_visit_checklist"),
        path("inspections/rounds/<int:pk>/draw/", views.round_draw, name="snippets_round_draw"),
        path("inspections/issues/import/", views.import_issues_view, name="snippets_import_issues"),
        path("inspections/issues/template.xlsx", views.issues_template_view, name="snippets_issues_template"),
    ]


@hooks.register("register_snippet_listing_buttons")
def round_listing_buttons(snippet, user, next_url=None):
    if isinstance(snippet, InspectionRound) and permissions.sees_everything(user):
        yield ListingButton(
            _("双随机抽取"),
            reverse("snippets_round_draw", args=[snippet.pk]),
            icon_name="resubmit",
            priority=20,
        )
    if isinstance(snippet, Visit) and permissions.visits_for(user).filter(pk=snippet.pk).exists():
        yield ListingButton(
            _("检查表"), reverse("snippets_visit_checklist", args=[snippet.pk]), icon_name="tasks", priority=5
        )


class VisitMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("snippets.view_visit")


@hooks.register(INSPECTION_MENU_HOOK)
def register_visit_menu_item():
    return VisitMenuItem(
        _("检查任务"),
        reverse("snippets_visit_list"),
        icon_name="clipboard-list",
        order=ORDER["visit_checklists"],
    )


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("snippets.add_issue")


@hooks.register(INSPECTION_MENU_HOOK)
def register_import_menu_item():
    return ImportMenuItem(
        _("导入问题"), reverse("snippets_import_issues"), icon_name="upload", order=ORDER["issue_import"]
    )


# --- supplies loop: daily stock reports (snippets.stock) ------------------------------------------


@hooks.register("register_admin_urls")
def register_stock_report_urls():
    from snippets import stock_views

    return [
        path("supplies/", stock_views.stock_report_list, name="snippets_stock_reports"),
        path("supplies/report/", stock_views.stock_report_form, name="snippets_stock_report_form"),
        path(
            "supplies/proposals/<int:goods_id>/",
            stock_views.allocation_proposal,
            name="snippets_allocation_proposal",
        ),
    ]


class StockReportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("snippets.view_stockreport")


@hooks.register("register_admin_menu_item")
def register_stock_report_menu_item():
    return StockReportMenuItem(
        _("物资日报"), reverse("snippets_stock_reports"), icon_name="clipboard-list", order=207
    )
