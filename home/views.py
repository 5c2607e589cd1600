"""Thin public views: the official-channel check and the generated QR codes."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from home import services
from home.forms import ChannelCheckForm
from home.models import DonationChannel


def client_address(request):
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "unknown")


@never_cache
@require_http_methods(["GET", "POST"])
def channel_check(request):
    result = None
    status = 200
    error = ""
    if request.method == "POST":
        form = ChannelCheckForm(request.POST, request.FILES)
        if not services.allow_check(client_address(request)):
            form = ChannelCheckForm()
            error = _("查询过于频繁，请一分钟后再试。")
            status = 429
        elif form.is_valid():
            qr_text = ""
            photo = form.cleaned_data.get("qr_photo")
            if photo:
                try:
                    qr_text = services.decode_qr(photo)
                except services.QRDecodeError as exc:
                    form.add_error("qr_photo", str(exc))
            if not form.errors:
                result = services.check_channel(
                    account_number=form.cleaned_data.get("account_number", ""),
                    payment_url=form.cleaned_data.get("payment_url", ""),
                    qr_text=qr_text,
                )
    else:
        form = ChannelCheckForm()
    context = {"form": form, "result": result, "error": error, "hotline": services.hotline()}
    return render(request, "home/channel_check.html", context, status=status)


@require_GET
def channel_qr(request, pk, digest):
    """The QR code of a public channel's payment URL; the digest in the path changes with the URL."""
    channel = get_object_or_404(DonationChannel.objects.public(), pk=pk)
    if not channel.payment_url or channel.qr_digest != digest:
        raise Http404
    png, _width, _height = services.qr_png(channel.payment_url)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response
