"""Admin-side views of the ledger (wired in wagtail_hooks.py): upload, batch report, template and
staff export downloads, late items, donor anonymity. Thin: the rules are in services."""

import datetime as dt
import io

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wagtail.admin import messages

from home.ledger import exporters, importers, services
from home.ledger.importers import progress_cache, progress_key
from home.ledger.models import Donor, ImportBatch, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 30 * 1024 * 1024

PERM_IMPORT = "ledger.add_importbatch"
PERM_VIEW_BATCHES = "ledger.view_importbatch"
PERM_EXPORT = "ledger.view_donorprivate"
PERM_VIEW_ENTRIES = "ledger.view_ledgerentry"
PERM_ANONYMISE = "ledger.change_donor"


def require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("台账文件（.xlsx）"))
    dry_run = forms.BooleanField(label=gettext_lazy("仅校验，不导入"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件超过 30 MB"))
        return upload


def upload(request):
    require(request, PERM_IMPORT)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            batch = services.import_ledger_file(
                upload_file, upload_file.name, user=request.user, dry_run=form.cleaned_data["dry_run"]
            )
            if batch.status == ImportStatus.DONE:
                messages.success(request, batch.message)
            elif batch.status == ImportStatus.FAILED:
                messages.error(request, batch.message)
            else:
                messages.info(request, _("文件较大，已转入后台导入，本页会显示进度"))
            return redirect("ledger_admin:batch", pk=batch.pk)
    else:
        form = UploadForm()
    batches = ImportBatch.objects.select_related("uploaded_by")[:20]
    return TemplateResponse(
        request,
        "ledger/admin/upload.html",
        {
            "form": form,
            "draft_form": DraftForm(initial={"day": timezone.localdate() - dt.timedelta(days=1)}),
            "batches": batches,
            "page_title": _("导入捐赠台账"),
            "header_title": _("导入捐赠台账"),
        },
    )


def batch_detail(request, pk):
    require(request, PERM_VIEW_BATCHES)
    batch = get_object_or_404(ImportBatch.objects.select_related("uploaded_by"), pk=pk)
    progress = None
    if batch.status in (ImportStatus.PENDING, ImportStatus.RUNNING):
        progress = progress_cache().get(progress_key(batch.pk), 0)
    return TemplateResponse(
        request,
        "ledger/admin/batch.html",
        {
            "batch": batch,
            "progress": progress,
            "running": progress is not None,
            "page_title": _("导入批次 #{id}").format(id=batch.pk),
            "header_title": _("导入批次 #{id}").format(id=batch.pk),
        },
    )


def template_download(request):
    require(request, PERM_IMPORT)
    buffer = io.BytesIO()
    exporters.write_template(buffer)
    return _xlsx_response(buffer, "ledger-template.xlsx")


def staff_export(request):
    require(request, PERM_EXPORT)
    from home.ledger.management.commands.export_ledger import parse_day

    try:
        date_from = parse_day(request.GET["from"]) if request.GET.get("from") else None
        date_to = parse_day(request.GET["to"]) if request.GET.get("to") else None
    except Exception:  # noqa: BLE001 - CommandError on a bad date: ignore the filter
        date_from = date_to = None
    buffer = io.BytesIO()
    exporters.write_staff_export(buffer, date_from, date_to)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx_response(buffer, f"ledger-{stamp}.xlsx")


def late(request):
    require(request, PERM_VIEW_ENTRIES)
    items = services.late_items()
    return TemplateResponse(
        request,
        "ledger/admin/late.html",
        {
            "undisclosed": items["undisclosed"][:500],
            "unallocated": items["unallocated"][:500],
            "page_title": _("公示与分配时效"),
            "header_title": _("公示与分配时效"),
        },
    )


@require_POST
def anonymise(request, pk):
    require(request, PERM_ANONYMISE)
    donor = get_object_or_404(Donor, pk=pk)
    services.anonymise_donor(donor, user=request.user)
    messages.success(request, _("已按捐赠人要求匿名，并删除其联系方式和证件号码"))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("ledger_admin:upload")
    return redirect(target)


class CorrectionForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("更正单号"), max_length=40)
    entry_date = forms.DateField(
        label=gettext_lazy("更正日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=gettext_lazy("更正原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    amount = forms.DecimalField(
        label=gettext_lazy("金额调整（元，留空则全额冲销）"), max_digits=14, decimal_places=2, required=False
    )
    quantity = forms.IntegerField(label=gettext_lazy("数量调整（留空则全额冲销）"), required=False)


class DraftForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("公示日期"), widget=forms.DateInput(attrs={"type": "date"}))


def manage_entry(request, pk):
    """One entry: its donor, a correcting entry, and the donor's request for anonymity."""
    require(request, PERM_VIEW_ENTRIES)
    from home.ledger.models import LedgerEntry

    entry = get_object_or_404(LedgerEntry.objects.select_related("donor", "corrects"), pk=pk)
    form = CorrectionForm(initial={"entry_date": timezone.localdate(), "number": f"GZ-{entry.number}"})
    if request.method == "POST":
        require(request, PERM_IMPORT)
        form = CorrectionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                correction = services.correct_entry(
                    entry,
                    number=data["number"].strip().upper(),
                    entry_date=data["entry_date"],
                    reason=data["reason"],
                    amount=data["amount"],
                    quantity=data["quantity"],
                    user=request.user,
                )
            except services.LedgerError as exc:
                form.add_error(None, exc.messages[0])
            else:
                messages.success(request, _("已登记更正 {number}").format(number=correction.number))
                return redirect("ledger_admin:entry", pk=correction.pk)
    private = None
    if entry.donor_id and request.user.has_perm(PERM_EXPORT):
        private = getattr(entry.donor, "private", None)
    return TemplateResponse(
        request,
        "ledger/admin/entry.html",
        {
            "entry": entry,
            "private": private,
            "form": form,
            "corrections": entry.corrections.order_by("entry_date", "number"),
            "can_correct": request.user.has_perm(PERM_IMPORT),
            "can_anonymise": request.user.has_perm(PERM_ANONYMISE),
            "page_title": str(entry),
            "header_title": str(entry),
        },
    )


def find_entry(request):
    require(request, PERM_VIEW_ENTRIES)
    from home.ledger.models import LedgerEntry

    number = (request.GET.get("number") or "").strip().upper()[:40]
    entry = LedgerEntry.objects.filter(number=number).only("pk").first()
    if entry is None:
        messages.error(request, _("未找到单据 {number}").format(number=number))
        return redirect("ledger_admin:upload")
    return redirect("ledger_admin:entry", pk=entry.pk)


@require_POST
def draft(request):
    require(request, PERM_IMPORT)
    form = DraftForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的日期"))
        return redirect("ledger_admin:upload")
    try:
        page = services.draft_disclosure(form.cleaned_data["day"], user=request.user)
    except services.LedgerError as exc:
        messages.error(request, exc.messages[0])
        return redirect("ledger_admin:upload")
    messages.success(request, _("已起草并提交领导审核：{title}").format(title=page.title))
    return redirect("wagtailadmin_pages:edit", page.pk)


def refused(request, pk):
    """Where a refused approval lands: the day's differences, live."""
    from home.ledger.models import DisclosurePage

    page = get_object_or_404(DisclosurePage, pk=pk)
    if not page.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    content = page.get_latest_revision_as_object()
    refusal = services.publish_refusal(page, content)
    return TemplateResponse(
        request,
        "ledger/admin/refused.html",
        {
            "page": page,
            "refusal": refusal,
            "page_title": _("未能批准"),
            "header_title": _("未能批准：{title}").format(title=page.title),
        },
    )


def _xlsx_response(buffer, filename):
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- hand entry: one row through the import's code path (importers.enter_by_hand) --------------


class HandEntryForm(forms.Form):
    """The columns of the kind's import sheet, as text fields labelled with the sheet headers: the
    import's parsers read them, so 1,000.00 / ¥500 / 2020年2月3日 work here as in a file."""

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        spec = importers.SPEC_OF_KIND[kind]
        for column in spec.columns:
            self.fields[column.key] = forms.CharField(
                label=column.header, required=False, help_text=str(column.example or "")
            )

    def add_import_errors(self, errors):
        by_header = {self.fields[key].label: key for key in self.fields}
        for error in errors:
            key = by_header.get(error["column"])
            self.add_error(key, error["reason"])  # key None: a form-wide error


def hand_entry(request, kind):
    """Enter one cash, goods or allocation row by hand (comms). A published day stays frozen: the
    error names the last published day and asks for a correcting entry on a later day."""
    require(request, PERM_IMPORT)
    if kind not in importers.SPEC_OF_KIND:
        raise Http404
    if request.method == "POST":
        form = HandEntryForm(request.POST, kind=kind)
        if form.is_valid():
            batch = importers.enter_by_hand(kind, form.cleaned_data, request.user)
            if batch.status == ImportStatus.DONE:
                messages.success(request, _("已录入：{number}").format(number=form.cleaned_data["number"]))
                return redirect("ledger_admin:hand_entry", kind=kind)
            form.add_import_errors(batch.errors)
    else:
        form = HandEntryForm(kind=kind)
    return TemplateResponse(
        request,
        "ledger/admin/hand_entry.html",
        {
            "form": form,
            "kind": kind,
            "kinds": [(spec_kind, spec.name) for spec, spec_kind in importers.SHEETS],
            "title": importers.SPEC_OF_KIND[kind].name,
        },
    )
