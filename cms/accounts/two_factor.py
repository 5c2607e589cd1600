"""The TOTP second factor: who must use one, enrolling a device and verifying a code.

Policy: superusers and members of every role whose `requires_second_factor` is set in
`workflows/roles.py` (leadership, administrators) must verify a TOTP code after their password
before they can use anything behind /admin/ or /django-admin/; anyone else may enrol, and once
enrolled must verify too. The views in `cms/accounts/views.py` are thin wrappers around this module;
`cms/accounts/middleware.py` enforces it on every request.

Devices are django-otp's `TOTPDevice` (RFC 6238, 30 s steps, 6 digits, one step of tolerance,
a code is never accepted twice). Wrong codes are throttled by django-otp itself: after the n-th
wrong code a device refuses every code, right or wrong, for 2^(n-1) seconds
(`OTP_TOTP_THROTTLE_FACTOR`).
"""

import base64
import logging
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import roles

logger = logging.getLogger(__name__)

DEVICE_NAME = "TOTP"
CODE_LENGTH = 6


def required_group_names():
    return [role.group_name for role in roles.ROLES if role.requires_second_factor]


def is_required(user):
    """True if the user's role makes a second factor mandatory (no opting out)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=required_group_names()).exists()


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_verification(user):
    """True if this signed-in session must present a TOTP code before using the admin."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_verified", None) is not None and user.is_verified():
        return False
    return is_required(user) or has_device(user)


# --- Enrolment -----------------------------------------------------------------------------------


def pending_device(user):
    """The user's unconfirmed device (created on first visit), whose secret the setup page shows.

    Reloading the page shows the same secret, so a code from an app that already scanned it still
    works; the device only counts once a code from it was accepted (`confirm`).
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device):
    """The secret as authenticator apps expect it to be typed in."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def qr_svg(device):
    """The otpauth:// URL of the device as an inline SVG (no image URL, no script: CSP-safe)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def normalise_code(code):
    return "".join((code or "").split())


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""


def _check(device, code):
    allowed, details = device.verify_is_allowed()
    if not allowed:
        seconds = _seconds_until(details)
        logger.warning("Second factor throttled: user=%s device=%s", device.user_id, device.pk)
        return Outcome(False, _("验证码错误次数过多，请 %(seconds)s 秒后再试。") % {"seconds": seconds})
    code = normalise_code(code)
    if code.isdigit() and len(code) == CODE_LENGTH:
        accepted = device.verify_token(code)  # counts a wrong code towards the throttle itself
    else:
        device.throttle_increment(commit=True)
        accepted = False
    if not accepted:
        logger.warning("Second factor refused: user=%s device=%s", device.user_id, device.pk)
        return Outcome(False, _("验证码不正确，请重新输入。"))
    return Outcome(True)


def _seconds_until(details):
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, int((locked_until - timezone.now()).total_seconds()) + 1)


def _mark_verified(request, device):
    # A new session key for the newly privileged session, then django-otp's own marker.
    request.session.cycle_key()
    otp_login(request, device)


def confirm(request, code):
    """Confirm the user's pending device with a code from it and mark this session verified."""
    device = pending_device(request.user)
    outcome = _check(device, code)
    if outcome.ok:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
        _mark_verified(request, device)
        logger.info("Second factor enrolled: user=%s device=%s", request.user.pk, device.pk)
    return outcome


def verify(request, code):
    """Check a code against the user's confirmed device and mark this session verified."""
    device = confirmed_device(request.user)
    if device is None:
        return Outcome(False, _("尚未设置两步验证。"))
    outcome = _check(device, code)
    if outcome.ok:
        _mark_verified(request, device)
        logger.info("Second factor verified: user=%s device=%s", request.user.pk, device.pk)
    return outcome
