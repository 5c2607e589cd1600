from django import template

from home.services import qr_size

register = template.Library()


@register.simple_tag
def channel_qr_size(channel):
    """Side in pixels of the channel's generated QR code, for the img width/height."""
    return qr_size(channel.payment_url)[0]


@register.filter
def yuan(value):
    """An amount in yuan grouped by thousands (618,086.44); the zh-hans locale does not group."""
    return f"{value:,.2f}"
