"""Thin views: the permission-checked photo view and the inspector's phone-sized visit pages."""

from django.contrib import messages
from django.contrib.admin.utils import quote as admin_quote
from django.core.exceptions import PermissionDenied
from django.forms.utils import flatatt
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.templatetags.l10n import unlocalize
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, TitleColumn
from wagtail.admin.widgets.button import BaseButton, BaseDropdownMenuButton

from snippets import importers, permissions, services
from snippets.choices import VisitState
from snippets.forms import ChecklistForm
from snippets.models import InspectionRound


def _private_file_response(field_file, content_type, disposition, filename):
    """Stream a file of the private store with headers that stop the browser from sniffing or
    running it. The caller has already checked permission."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(disposition == "attachment", filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
def photo(request, pk):
    """Inspection photos are served only here: never by a public URL (RELIABILITY item 30).
    Anyone who may not see the photo gets a 404, so its existence is not revealed."""
    photo = get_object_or_404(permissions.photos_for(request.user), pk=pk)
    extension = photo.file.name.rsplit(".", 1)[-1]
    return _private_file_response(photo.file, photo.content_type, "inline", f"photo-{photo.pk}.{extension}")


@require_GET
def attachment(request, pk):
    """Issue attachments: always a download (never rendered in the browser), same 404 rule."""
    attachment = get_object_or_404(permissions.attachments_for(request.user), pk=pk)
    return _private_file_response(
        attachment.file, attachment.content_type, "attachment", attachment.original_name
    )


def visit_list(request):
    """The inspector's start page on a phone: planned visits first, then recent ones."""
    if not request.user.has_perm("snippets.view_visit"):
        raise PermissionDenied
    visits = (
        permissions.visits_for(request.user)
        .select_related("institution", "inspection_round")
        .order_by("state", "planned_on", "pk")
    )
    mine = request.GET.get("mine") == "1"
    if mine:
        visits = visits.filter(inspectors=request.user)
    return TemplateResponse(
        request,
        "snippets/visit_list.html",
        {"visits": visits[:200], "mine": mine, "can_record": _can_record(request.user)},
    )


def _can_record(user):
    return user.has_perm("snippets.change_visit") and permissions.sees_everything(user)


def visit_checklist(request, pk):
    visit = get_object_or_404(
        permissions.visits_for(request.user).select_related("institution", "inspection_round"), pk=pk
    )
    if not request.user.has_perm("snippets.view_visit"):
        raise PermissionDenied
    editable = visit.state == VisitState.PLANNED and _can_record(request.user)
    answers = services.ensure_answers(visit) if editable else list(visit.answers.select_related("item"))
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = ChecklistForm(answers, request.POST, request.FILES)
        if form.is_valid():
            try:
                services.record_answers(visit, form.entries(), request.user)
            except services.PhotoStorageError:
                form.add_error(None, _("照片保存失败（存储空间不足或不可写），本次填写未保存，请稍后重试。"))
            except services.VisitError as exc:
                form.add_error(None, str(exc))
            else:
                if "complete" in request.POST:
                    try:
                        raised = services.complete_visit(visit, request.user)
                    except services.VisitError as exc:
                        form.add_error(None, str(exc))
                    else:
                        messages.success(request, _("检查已完成，生成问题 %(n)d 个。") % {"n": len(raised)})
                        return redirect("snippets_visit_checklist", pk=visit.pk)
                else:
                    messages.success(request, _("检查表已保存。"))
                    return redirect("snippets_visit_checklist", pk=visit.pk)
    else:
        form = ChecklistForm(answers)
    return TemplateResponse(
        request,
        "snippets/visit_checklist.html",
        {
            "visit": visit,
            "form": form,
            "editable": editable,
            "answers": answers,
            "issues": permissions.issues_for(request.user).filter(visit=visit).select_related("category"),
        },
    )


def round_draw(request, pk):
    """The random draw (双随机) of a round: parameters, commitment, and after the round the seed
    with a re-run check. Drawing is a POST by someone who may change rounds."""
    inspection_round = get_object_or_404(permissions.rounds_for(request.user), pk=pk)
    if not permissions.sees_everything(request.user):
        raise PermissionDenied
    can_draw = request.user.has_perm("snippets.change_inspectionround") and not inspection_round.is_sealed
    if request.method == "POST":
        if not can_draw:
            raise PermissionDenied
        try:
            services.draw_round(inspection_round, request.user)
        except services.DrawError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已抽取并封存，承诺值已记录。"))
        return redirect("snippets_round_draw", pk=inspection_round.pk)
    verified = None
    if inspection_round.seed_revealed:
        verified = services.verify_draw(inspection_round)
    visits = inspection_round.visits.select_related("institution").prefetch_related("inspectors")
    return TemplateResponse(
        request,
        "snippets/round_draw.html",
        {"round": inspection_round, "can_draw": can_draw, "verified": verified, "visits": visits},
    )


MAX_IMPORT_BYTES = 10 * 1024 * 1024


def import_issues_view(request):
    """Admin upload of the issue spreadsheet: same all-or-nothing rules as the command."""
    if not request.user.has_perm("snippets.add_issue"):
        raise PermissionDenied
    result = None
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("请选择要上传的 Excel 文件。")
        elif upload.size > MAX_IMPORT_BYTES:
            error = _("文件过大（上限 10 MB）。")
        else:
            result = importers.import_issues(upload, request.user, dry_run=bool(request.POST.get("dry_run")))
            if result.ok and not result.dry_run:
                messages.success(request, _("已导入 %(n)d 个问题。") % {"n": len(result.created)})
                return redirect("wagtailsnippets_snippets_issue:list")
    return TemplateResponse(request, "snippets/import_issues.html", {"result": result, "error": error})


def issues_template_view(request):
    if not request.user.has_perm("snippets.add_issue"):
        raise PermissionDenied
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="issues_template.xlsx"'
    importers.write_template(response)
    return response


@require_GET
def draw_record(request, pk):
    """Public record of a sealed draw: the commitment alone as soon as it is sealed, and the round's
    name, mode, dates, seed and result once the round has ended, so anyone can recompute both (see
    services.commitment_of). Before the end nothing dated is published, for any mode: a date (or
    its absence for one mode) would tell an institution that an unannounced round is coming."""
    inspection_round = get_object_or_404(InspectionRound, pk=pk, sealed_at__isnull=False)
    data = {
        "round": inspection_round.pk,
        "commitment": inspection_round.draw_commitment,
        "algorithm": "sha256(json.dumps({'result': result, 'seed': seed}, sort_keys=True, "
        "separators=(',', ':')).encode('utf-8'))",
    }
    if inspection_round.seed_revealed:
        data.update(
            name=inspection_round.name,
            mode=inspection_round.mode,
            starts_on=inspection_round.starts_on.isoformat(),
            ends_on=inspection_round.ends_on.isoformat(),
            sealed_at=inspection_round.sealed_at.isoformat(),
            seed=inspection_round.draw_seed,
            result=inspection_round.draw_result,
        )
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


# Admin listings (issue #8, measurement 9) -------------------------------------------------------
#
# Wagtail renders each listing cell through a template of its own: 800 template renders for a
# 100-row page of 8 columns, most of the page's time. The plain columns below render the same
# markup with `format_html` (values localised and escaped as `{{ value }}` does); the title column,
# with its link and action buttons, stays Wagtail's.


class PlainColumn(Column):
    """`wagtail.admin.ui.tables.Column` without a template per cell (same `<td>` markup)."""

    def render_cell_html(self, instance, parent_context):
        value = self.get_value(instance)
        if isinstance(value, int) and not isinstance(value, bool):
            value = unlocalize(value)
        elif value is not None:
            value = localize(value)
        if value is not None and not str(value).strip():
            value = self.empty_value_display
        if value is None:
            value = ""
        if self.classname:
            return format_html('<td class="{}">{}</td>', self.classname, value)
        return format_html("<td>{}</td>", value)


class PlainBulkActionsCheckboxColumn(BulkActionsCheckboxColumn):
    """The bulk-action checkbox cell of a snippet listing, without a template per cell."""

    def render_cell_html(self, instance, parent_context):
        return format_html(
            '<td class="bulk-action-checkbox-cell"><input type="checkbox" data-object-id="{}"'
            ' data-bulk-action-checkbox class="bulk-action-checkbox" aria-label="{}"'
            ' aria-describedby="{}" /></td>',
            admin_quote(unlocalize(instance.pk)),
            gettext("Select"),
            self.get_aria_describedby(instance),
        )


_TITLE, _PK = "\0T", "/\0P/"


def _button_shape(button, pk_segment, title):
    """What a row's button renders from, with the row's title and pk taken out; None if it is not a
    kind of button this knows (then the row is rendered by Wagtail as usual)."""
    if not isinstance(button, BaseButton):
        return None
    if not button.show:
        return ("hidden",)

    def norm(text):
        return None if text is None else str(text).replace(title, _TITLE).replace(pk_segment, _PK)

    children = ()
    if isinstance(button, BaseDropdownMenuButton):
        children = tuple(_button_shape(child, pk_segment, title) for child in sorted(button.dropdown_buttons))
        if None in children:
            return None
    attrs = tuple(sorted((str(key), norm(value)) for key, value in button.attrs.items()))
    return (
        type(button),
        str(button.label),
        button.icon_name,
        button.classname,
        norm(button.url),
        attrs,
        children,
    )


class PlainTitleColumn(TitleColumn):
    """The title cell (link, then the row's action buttons) without a template per cell.

    The buttons are Wagtail's components: the first row of each button shape is rendered by them,
    and later rows of the same shape (same buttons, labels, icons and URLs but for the row's pk and
    title) reuse that markup with their own pk and escaped title. A 100-row page renders the
    dropdown once instead of 100 times; a row whose markup cannot be told apart safely (its title
    also appears in a label, say) is rendered by Wagtail as before.
    """

    def render_cell_html(self, instance, parent_context):
        context = self.get_cell_context_data(instance, parent_context)
        value = context["value"]
        value = "" if value is None else localize(value)
        if context.get("title_id"):
            title = format_html('<span id="{}">{}</span>', context["title_id"], value)
        else:
            title = conditional_escape(value)
        if context.get("link_url"):
            title = format_html("<a{}>{}</a>", flatatt(context["link_attrs"]), title)
        elif context.get("label_id"):
            title = format_html('<label for="{}">{}</label>', context["label_id"], title)
        buttons = context.get("buttons") or []
        actions = ""
        if buttons:
            actions = format_html(
                '<ul class="actions">{}</ul>', self._buttons_html(buttons, instance, parent_context)
            )
        classname = f"{self.classname} title" if self.classname else "title"
        return format_html(
            '<td class="{}"><div class="title-wrapper">{}</div>{}</td>', classname, title, actions
        )

    def _buttons_html(self, buttons, instance, parent_context):
        def render():
            shown = ((button.render_html(parent_context),) for button in buttons if button.show)
            return format_html_join("", "<li>{}</li>", shown)

        title = str(instance)
        pk_segment = f"/{admin_quote(instance.pk)}/"
        if not title or "\0" in title:
            return render()
        shape = tuple(_button_shape(button, pk_segment, title) for button in buttons)
        if None in shape:
            return render()
        stamps = self.__dict__.setdefault("_stamps", {})
        stamp = stamps.get(shape)
        if stamp is None:
            html = render()
            stamps[shape] = self._make_stamp(html, shape, title, pk_segment)
            return html
        if stamp is False:
            return render()
        # The stamp is Wagtail's own rendering; what goes in is the escaped title and the pk as
        # it appears in the row's URLs (digits, or admin-quoted).
        filled = stamp.replace(_TITLE, escape(title)).replace(_PK, escape(pk_segment))
        return mark_safe(filled)  # noqa: S308

    @staticmethod
    def _make_stamp(html, shape, title, pk_segment):
        """The markup with the row's title and pk replaced by placeholders, or False when the
        replacement would touch anything else (the counts differ from the shape's)."""
        expected = repr(shape)
        escaped = str(escape(title))
        if html.count(escaped) != expected.count(repr(_TITLE)[1:-1]):
            return False
        stamp = html.replace(escaped, _TITLE)
        if stamp.count(pk_segment) != expected.count(repr(_PK)[1:-1]):
            return False
        return stamp.replace(pk_segment, _PK)


class PlainCellsMixin:
    """For a Wagtail IndexView: every column rendered without a template per cell."""

    def _get_custom_column(self, field_name, column_class=Column, **kwargs):
        if column_class is Column:
            column_class = PlainColumn
        return super()._get_custom_column(field_name, column_class, **kwargs)

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        if column_class is TitleColumn:
            column_class = PlainTitleColumn
        return super()._get_title_column(field_name, column_class, **kwargs)

    @cached_property
    def columns(self):
        columns = super().columns
        return [
            PlainBulkActionsCheckboxColumn(column.name, obj_type=column.obj_type)
            if type(column) is BulkActionsCheckboxColumn
            else column
            for column in columns
        ]
