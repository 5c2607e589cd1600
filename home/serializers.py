"""API v2 field serializers for the public pages (wired through `api_fields` on the page models).

Only public data leaves here: channels are filtered to live and active by the page properties, and a
channel carries the bureau's own account details, never a person's.
"""

from rest_framework.fields import Field

from django.urls import reverse


def _absolute(request, url):
    if request is None or url.startswith(("http://", "https://")):
        return url
    return request.build_absolute_uri(url)


def qr_image_url(channel, request=None):
    """URL of the channel's QR code: generated from its payment URL, else the uploaded image."""
    if channel.payment_url:
        url = reverse("home:channel_qr", args=[channel.pk, channel.qr_digest])
    elif channel.qr_image_id:
        url = channel.qr_image.get_rendition("max-400x400|format-png").url
    else:
        return None
    return _absolute(request, url)


def channel_data(channel, request=None):
    return {
        "id": channel.pk,
        "kind": channel.kind,
        "kind_display": str(channel.get_kind_display()),
        "name": channel.name,
        "description": channel.description,
        "account_name": channel.account_name,
        "bank_name": channel.bank_name,
        "account_number": channel.account_number_grouped,
        "payment_url": channel.payment_url,
        "payment_domain": channel.payment_domain,
        "qr_image_url": qr_image_url(channel, request),
        "address": channel.address,
        "opening_hours": channel.opening_hours,
        "contact_phone": channel.contact_phone,
        "accepted_goods": channel.accepted_goods,
        "refused_goods": channel.refused_goods,
    }


class ChannelListField(Field):
    """A page's public channels. The live channels and every appeal's promoted ids are read once per
    API response and shared by all its pages, so a listing's queries do not grow with its length."""

    def get_attribute(self, page):
        return page

    def to_representation(self, page):
        from home.models.pages import in_editor_order, promoted_channel_ids, public_channels

        shared = self.context.setdefault("public_channels", {})
        if not shared:
            shared["live"] = list(public_channels())
            shared["promoted"] = promoted_channel_ids()
        if hasattr(page, "channel_links"):  # an appeal promotes a chosen few, in the editor's order
            channels = in_editor_order(shared["promoted"].get(page.pk, ()), shared["live"])
        else:
            channels = shared["live"]
        request = self.context.get("request")
        return [channel_data(channel, request) for channel in channels]


class TotalsField(Field):
    def to_representation(self, totals):
        request = self.context.get("request")
        disclosure = totals.get("latest_disclosure")
        disclosure_data = None
        if disclosure is not None:
            url = disclosure.get_url(request) if hasattr(disclosure, "get_url") else None
            disclosure_data = {"title": str(disclosure), "url": _absolute(request, url) if url else None}
        return {
            "cash_total": f"{totals['cash_total']:.2f}",
            "goods_batches": int(totals["goods_batches"]),
            "latest_disclosure": disclosure_data,
        }


class ImageRenditionField(Field):
    """An image as {url, width, height, alt} of one rendition, or null."""

    def __init__(self, filter_spec, **kwargs):
        self.filter_spec = filter_spec
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, page):
        image = getattr(page, self.field_name)
        if image is None:
            return None
        rendition = image.get_rendition(self.filter_spec)
        return {
            "url": _absolute(self.context.get("request"), rendition.url),
            "width": rendition.width,
            "height": rendition.height,
            "alt": getattr(page, "hero_alt", "") or image.title,
        }
