from django import template

from home.services import qr_size

register = template.Library()


@register.simple_tag
def channel_qr_size(channel):
    """Side in pixels of the channel's generated QR code, for the img width/height."""
    return qr_size(channel.payment_url)[0]
