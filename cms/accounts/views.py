"""Second-factor pages under /admin/two-factor/: thin views over accounts/two_factor.py."""

from django import forms
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from cms.accounts import two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("身份验证器应用中显示的 6 位数字"),
    )


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return reverse("wagtailadmin_home")


def _render(request, template, form, **context):
    return TemplateResponse(request, template, {"form": form, "next": _next_url(request), **context})


@never_cache
def setup(request):
    """Enrol: show the QR code and secret of a new device, confirm it with a code from it."""
    if two_factor.has_device(request.user):
        # One device per user here: a second enrolment would let a stolen password add its own.
        if request.user.is_verified():
            return redirect(_next_url(request))
        return redirect(reverse("accounts_two_factor_verify"))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        outcome = two_factor.confirm(request, form.cleaned_data["code"])
        if outcome.ok:
            return redirect(_next_url(request))
        form.add_error("code", outcome.message)
    device = two_factor.pending_device(request.user)
    return _render(
        request,
        "accounts/two_factor_setup.html",
        form,
        qr_svg=two_factor.qr_svg(device),
        secret=two_factor.secret_base32(device),
        required=two_factor.is_required(request.user),
    )


@never_cache
def verify(request):
    """Ask for the current code of the user's device."""
    if not two_factor.has_device(request.user):
        return redirect(reverse("accounts_two_factor_setup"))
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        outcome = two_factor.verify(request, form.cleaned_data["code"])
        if outcome.ok:
            return redirect(_next_url(request))
        form.add_error("code", outcome.message)
    return _render(request, "accounts/two_factor_verify.html", form)
