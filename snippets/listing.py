"""Admin listings of our own for the two large tables (issue #16, item 3): issues here, ledger entries
in `home.ledger.listing`.

Wagtail's generic listing renders a template per cell and builds every row's buttons as components
with their own permission checks: at 100 rows per page that was 11-21x a bare 50-row table. These
views render the same page furniture (Wagtail's slim header with search and the viewset's filters,
pagination, bulk-action footer) through Wagtail's public templates, and the rows in Python with
`format_html`: the buttons a user gets are decided once per request from the viewset's permission
policy (the rows are already narrowed to the user's scope), and every value is escaped.

Wiring: `swap_listing_urls` points the viewset's listing and listing-results URLs at a view built
here, keeping the URL names. An export (`?export=xlsx|csv`) is still served by Wagtail's own view.
"""

from dataclasses import dataclass

from django.contrib.admin.utils import quote as admin_quote
from django.core.exceptions import PermissionDenied
from django.core.paginator import InvalidPage, Paginator
from django.db.models import Q
from django.http import Http404
from django.templatetags.l10n import unlocalize
from django.urls import NoReverseMatch, reverse
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.search import SearchForm

LIST_URL_NAMES = ("list", "index")
RESULTS_URL_NAMES = ("list_results", "index_results")
_BUILT_FILTERSETS = {}
PK_SENTINEL = "9090909090909"  # reversible through an int or a str pk converter


@dataclass(frozen=True)
class ListingColumn:
    """One column: `name` is its ordering key (`?ordering=name` or `-name`), `value` a callable
    returning the cell's value for a row (None: the attribute `name`)."""

    name: str
    label: str
    value: object = None
    order_by: tuple = ()

    def get(self, row):
        return self.value(row) if self.value is not None else getattr(row, self.name)

    def ordering(self, descending):
        fields = self.order_by or (self.name,)
        return [f"-{f}" if descending else f for f in fields]


def display(value):
    """A cell's text as Wagtail's `{{ value }}` shows it: localised, integers without separators,
    blank for None or an empty string."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return unlocalize(value)
    return localize(value)


def choice_labels(model, name):
    """A field's choice labels, translated once per request rather than once per row."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


class _RowUrl:
    """A viewset URL for any row, reversed once per request with a placeholder pk."""

    def __init__(self, viewset, action):
        try:
            self.prefix, self.suffix = reverse(viewset.get_url_name(action), args=[PK_SENTINEL]).split(
                PK_SENTINEL, 1
            )
        except NoReverseMatch:
            self.prefix = None

    def __bool__(self):
        return self.prefix is not None

    def __call__(self, pk):
        return f"{self.prefix}{admin_quote(pk)}{self.suffix}"


# (action, label, icon): the row buttons in Wagtail's order; each shown if the user holds the permission.
ROW_BUTTONS = (
    ("edit", "change", gettext_lazy("编辑"), "edit"),
    ("copy", "add", gettext_lazy("复制"), "copy"),
    ("inspect", "view", gettext_lazy("检查"), "info-circle"),
    ("delete", "delete", gettext_lazy("删除"), "bin"),
)


class PlainListingView(TemplateView):
    """The listing page (or, with `results_only`, the part the search and filter form swap in)."""

    viewset = None
    wagtail_view = None  # Wagtail's own listing view: serves exports
    list_url_name = "index"  # the viewset's names of the two URLs (snippets: list, list_results)
    results_url_name = "index_results"
    results_only = False
    template_name = "snippets/listing/index.html"
    results_template_name = "snippets/listing/results.html"
    columns = ()
    default_ordering = ()
    search_fields = ()
    per_page = 100
    bulk_actions = False

    # Set per request.
    object_list = None

    def get_queryset(self):
        get_queryset = getattr(self.viewset, "get_queryset", None)
        queryset = get_queryset(self.request) if get_queryset is not None else None
        if queryset is None:
            queryset = self.viewset.model._default_manager.all()
        return queryset

    def get_filterset_class(self):
        """The viewset's `filterset_class`, or one built once from its `list_filter` as Wagtail does."""
        filterset_class = getattr(self.viewset, "filterset_class", None)
        if isinstance(filterset_class, type) and issubclass(filterset_class, WagtailFilterSet):
            return filterset_class
        fields = getattr(self.viewset, "list_filter", None)
        if not fields:
            return None
        built = _BUILT_FILTERSETS.get(type(self.viewset))
        if built is None:
            meta = type("Meta", (), {"model": self.viewset.model, "fields": list(fields)})
            built = type(f"{self.viewset.model.__name__}FilterSet", (WagtailFilterSet,), {"Meta": meta})
            _BUILT_FILTERSETS[type(self.viewset)] = built
        return built

    def dispatch(self, request, *args, **kwargs):
        policy = self.viewset.permission_policy
        if not policy.user_has_any_permission(request.user, ["add", "change", "delete", "view"]):
            raise PermissionDenied
        if "export" in request.GET and self.wagtail_view is not None and not self.results_only:
            return self.wagtail_view(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self):
        return [self.results_template_name if self.results_only else self.template_name]

    # Querying ----------------------------------------------------------------------------------

    def search(self, queryset, query):
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": query})
        return queryset.filter(condition)

    def ordering(self):
        requested = self.request.GET.get("ordering", "")
        name = requested.removeprefix("-")
        for column in self.columns:
            if column.name == name:
                return requested, column.ordering(requested.startswith("-")) + ["-pk"]
        return "", list(self.default_ordering) + ["-pk"]

    def get_context_data(self, **kwargs):
        request = self.request
        viewset = self.viewset
        queryset = self.get_queryset()

        search_form = SearchForm(request.GET or None, placeholder=_("搜索…"))
        query = None
        if self.search_fields and search_form.is_valid():
            query = search_form.cleaned_data.get("q") or None
            if query:
                queryset = self.search(queryset, query)

        filters = None
        filterset_class = self.get_filterset_class()
        is_filtering = False
        if filterset_class is not None:
            filters = filterset_class(request.GET, queryset=queryset, request=request)
            if filters.is_valid():
                queryset = filters.qs
                is_filtering = any(
                    value not in (None, "", []) for value in filters.form.cleaned_data.values()
                )

        ordering, order_by = self.ordering()
        queryset = queryset.order_by(*order_by)
        paginator = Paginator(queryset, self.per_page)
        try:
            page = paginator.page(request.GET.get("p", 1))
        except InvalidPage:
            raise Http404 from None
        self.object_list = list(page.object_list)

        index_url = reverse(viewset.get_url_name(self.list_url_name))
        results_url = reverse(viewset.get_url_name(self.results_url_name))
        user = request.user
        policy = viewset.permission_policy
        allowed = {
            action: policy.user_has_permission(user, action) for action in ("add", "change", "delete", "view")
        }
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "header_title": str(viewset.model._meta.verbose_name_plural),
                "header_icon": viewset.icon,
                "breadcrumbs_items": [
                    {"url": reverse("wagtailadmin_home"), "label": _("首页")},
                    {"url": "", "label": str(viewset.model._meta.verbose_name_plural)},
                ],
                "search_form": search_form if self.search_fields else None,
                "filters": filters,
                "index_url": index_url,
                "index_results_url": results_url,
                "header_buttons": self.header_buttons(allowed, index_url),
                "page_obj": page,
                "paginator": paginator,
                "is_paginated": paginator.num_pages > 1,
                "elided_page_range": paginator.get_elided_page_range(page.number),
                "object_list": self.object_list,
                "items_count": paginator.count,
                "is_searching": bool(query),
                "is_filtering": is_filtering,
                "table_head": self.table_head(ordering, index_url),
                "table_body": self.table_body(allowed),
                "bulk_actions": self.bulk_actions,
                "model_opts": viewset.model._meta,
                "media": filters.form.media if filters is not None else None,
            }
        )
        return context

    def header_buttons(self, allowed, index_url):
        """Add (if the user may and the viewset has an add view) and the exports of the rows shown."""
        from wagtail.admin.widgets.button import HeaderButton

        buttons = []
        if allowed["add"]:
            try:
                add_url = reverse(self.viewset.get_url_name("add"))
            except NoReverseMatch:
                add_url = None
            if add_url:
                label = _("添加%(model_name)s") % {"model_name": self.viewset.model._meta.verbose_name}
                buttons.append(HeaderButton(label, url=add_url, icon_name="plus"))
        if getattr(self.viewset, "list_export", None):
            query = self.request.GET.copy()
            query.pop("p", None)
            for export_format in ("xlsx", "csv"):
                query["export"] = export_format
                buttons.append(
                    HeaderButton(
                        _("下载 %(format)s") % {"format": export_format.upper()},
                        url=f"{index_url}?{query.urlencode()}",
                        icon_name="download",
                    )
                )
        return buttons

    # Rendering ---------------------------------------------------------------------------------

    def table_head(self, ordering, index_url):
        cells = []
        if self.bulk_actions:
            cells.append(
                format_html(
                    '<th class="bulk-actions-filter-checkbox" aria-label="{}">'
                    '<input data-bulk-action-select-all-checkbox type="checkbox" aria-label="{}"/></th>',
                    _("选择行"),
                    _("全选"),
                )
            )
        # Sorting keeps the search and filters; it starts again from the first page.
        query = self.request.GET.copy()
        query.pop("p", None)
        for column in self.columns:
            # Ascending on this column now: the header link sorts it descending, else ascending.
            ascending_now = ordering == column.name
            query["ordering"] = f"-{column.name}" if ascending_now else column.name
            icon = "icon-arrow-up-after" if ascending_now else "icon-arrow-down-after"
            cells.append(
                format_html(
                    '<th><a href="{}?{}" class="icon {} label">{}</a></th>',
                    index_url,
                    query.urlencode(),
                    icon,
                    column.label,
                )
            )
        return mark_safe("".join(cells))  # noqa: S308 - every part built by format_html

    def table_body(self, allowed):
        """Every row's markup. Built with f-strings around `escape` (format_html per cell was most
        of the page): each value, URL and label is escaped here, the rest is fixed markup."""
        urls = {action: _RowUrl(self.viewset, action) for action, _perm, _label, _icon in ROW_BUTTONS}
        shown = [
            (urls[action], escape(label), icon)
            for action, permission, label, icon in ROW_BUTTONS
            if allowed[permission] and urls[action]
        ]
        link = urls["edit"] if allowed["change"] and urls["edit"] else urls["inspect"] or None
        more = _("“%(title)s”的更多选项")
        select = escape(_("选择"))
        model_name = self.viewset.model._meta.model_name
        title_column, cell_columns = self.columns[0], self.columns[1:]
        texts = {}  # a value's text, once per distinct value (dates and amounts repeat)

        def text(value):
            key = (type(value), value)
            try:
                return texts[key]
            except KeyError:
                result = texts[key] = escape(display(value))
                return result
            except TypeError:  # unhashable
                return escape(display(value))

        rows = []
        for row in self.object_list:
            pk = escape(admin_quote(unlocalize(row.pk)))
            title_id = f"{model_name}_{pk}_title"
            title = f'<span id="{title_id}">{text(title_column.get(row))}</span>'
            if link:
                title = f'<a href="{escape(link(row.pk))}">{title}</a>'
            actions = ""
            if shown:
                items = "".join(
                    f'<a href="{escape(url(row.pk))}" class=""><svg class="icon icon-{icon} icon"'
                    f' aria-hidden="true"><use href="#icon-{icon}"></use></svg>{label}</a>'
                    for url, label, icon in shown
                )
                actions = (
                    '<ul class="actions"><li><div data-controller="w-dropdown" class="w-dropdown">'
                    '<button type="button" class="w-dropdown__toggle w-dropdown__toggle--icon"'
                    f' data-w-dropdown-target="toggle" aria-label="{escape(more % {"title": str(row)})}">'
                    '<svg class="icon icon-dots-horizontal w-dropdown__toggle-icon" aria-hidden="true">'
                    '<use href="#icon-dots-horizontal"></use></svg></button>'
                    f'<div data-w-dropdown-target="content" class="w-dropdown__content" hidden>{items}</div>'
                    "</div></li></ul>"
                )
            checkbox = ""
            if self.bulk_actions:
                checkbox = (
                    f'<td class="bulk-action-checkbox-cell"><input type="checkbox" data-object-id="{pk}"'
                    f' data-bulk-action-checkbox class="bulk-action-checkbox" aria-label="{select}"'
                    f' aria-describedby="{title_id}" /></td>'
                )
            cells = "".join(f"<td>{text(column.get(row))}</td>" for column in cell_columns)
            title_cell = f'<td class="title"><div class="title-wrapper">{title}</div>{actions}</td>'
            rows.append(f"<tr>{checkbox}{title_cell}{cells}</tr>")
        return mark_safe("".join(rows))  # noqa: S308 - every value above went through escape()


def swap_listing_urls(viewset, patterns, view_class):
    """Point the viewset's listing URL and its results URL (same names) at `view_class`; Wagtail's
    listing view stays behind the listing URL for exports."""
    names = {pattern.name for pattern in patterns}
    list_name = next(name for name in LIST_URL_NAMES if name in names)
    results_name = next(name for name in RESULTS_URL_NAMES if name in names)
    common = {"viewset": viewset, "list_url_name": list_name, "results_url_name": results_name}
    for pattern in patterns:
        if pattern.name == list_name:
            pattern.callback = view_class.as_view(wagtail_view=pattern.callback, **common)
        elif pattern.name == results_name:
            pattern.callback = view_class.as_view(results_only=True, **common)
    return patterns


class IssueListingView(PlainListingView):
    """The issues listing: the same columns, filters (`IssueFilterSet`), search, order and buttons as
    the snippet listing it replaces, scoped by `permissions.issues_for` through the viewset."""

    bulk_actions = True
    default_ordering = ("-found_on", "-number")
    search_fields = ("number", "title", "description")

    @cached_property
    def columns(self):
        from snippets.models import Issue

        field = Issue._meta.get_field
        severity, stage = choice_labels(Issue, "severity"), choice_labels(Issue, "stage")
        return (
            ListingColumn("number", field("number").verbose_name),
            ListingColumn("title", field("title").verbose_name),
            ListingColumn("institution", field("institution").verbose_name, lambda i: i.institution),
            ListingColumn("category", field("category").verbose_name, lambda i: i.category),
            ListingColumn(
                "severity", field("severity").verbose_name, lambda i: severity.get(i.severity, i.severity)
            ),
            ListingColumn("stage", field("stage").verbose_name, lambda i: stage.get(i.stage, i.stage)),
            ListingColumn("deadline", field("deadline").verbose_name),
        )
