"""Login throttling: the client address behind proxies, the lockout rule and the lockout response.

django-axes records every failed sign-in (Wagtail's /admin/login/ and Django's /django-admin/login/
both authenticate through `AUTHENTICATION_BACKENDS`, whose first entry is axes' backend). This module
adds what axes does not have out of the box:

- two limits instead of one: `LOGIN_FAILURE_LIMIT_PER_USERNAME` failures for one username from any
  address, and `LOGIN_FAILURE_LIMIT_PER_ADDRESS` failures from one address across usernames, each
  counted over the cool-off window (`LOGIN_LOCKOUT_MINUTES`, axes' `AXES_COOLOFF_TIME`);
- the client address: `X-Forwarded-For` is read only when the connection comes from one of
  `TRUSTED_PROXIES`, and then only the hops those proxies appended, so a client cannot pick the
  address it is counted under (to escape its own lockout or to lock out someone else's);
- one lockout message, the same whether the username exists or not, shown on the login form itself.
"""

import ipaddress
import logging
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt

from django.conf import settings
from django.db.models import Sum
from django.forms.utils import ErrorList
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def cool_off(request=None):
    """AXES_COOLOFF_TIME: how long a lockout (and the failure count behind it) lasts."""
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


# --- Client address ------------------------------------------------------------------------------


def _parse(address):
    try:
        return ipaddress.ip_address(address.strip())
    except (ValueError, AttributeError):
        return None


def _trusted_networks():
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.TRUSTED_PROXIES]


def _is_trusted(address, networks):
    return address is not None and any(address in network for network in networks)


def client_ip(request):
    """The address a login attempt is counted under (AXES_CLIENT_IP_CALLABLE).

    Without trusted proxies, or when the connection does not come from one, this is the peer
    address and `X-Forwarded-For` is ignored. Behind trusted proxies, the header is read from the
    right: each trusted proxy appended the address it received the request from, so the first
    address that is not a trusted proxy is the client. Whatever a client wrote into the header itself
    lies further left and is never reached.
    """
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    networks = _trusted_networks()
    if not _is_trusted(remote, networks):
        return str(remote) if remote is not None else None
    client = remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # Not an address: a trusted proxy would not write this, so the hop before it is as far
            # as the chain can be believed.
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


# --- Lockout rule --------------------------------------------------------------------------------


class ThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with a per-username and a per-address limit.

    axes compares one number, `get_failures()`, with one limit, `AXES_FAILURE_LIMIT`, which is set
    to the per-username limit. An address that reached its own (higher) limit therefore reports at
    least the per-username limit, so both the check before authenticating and the lockout after a
    failure apply both rules.
    """

    def get_failures(self, request, credentials=None):
        by_username, by_address = failure_counts(request, credentials)
        if by_address >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS:
            return max(by_username, settings.LOGIN_FAILURE_LIMIT_PER_USERNAME)
        return by_username


def failure_counts(request, credentials=None):
    """(failures for this username from any address, failures from this address for any username)."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or client_ip(request)

    def total(queryset):
        return queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0

    by_username = total(recent.filter(username=username)) if username else 0
    by_address = total(recent.filter(ip_address=address)) if address else 0
    return by_username, by_address


def log_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """user_locked_out receiver: one warning line per refused attempt while locked."""
    by_username, by_address = failure_counts(request) if request is not None else (None, None)
    logger.warning(
        "Login locked out: username=%r address=%s failures_for_username=%s failures_from_address=%s path=%s",
        username,
        ip_address,
        by_username,
        by_address,
        getattr(request, "path", ""),
    )


# --- Lockout response ----------------------------------------------------------------------------


def lockout_message():
    return _("登录失败次数过多，请 %(minutes)s 分钟后再试。") % {"minutes": settings.LOGIN_LOCKOUT_MINUTES}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login form again, with the lockout message in place of its errors.

    The same response for every username, existing or not, with the password right or wrong, so
    the lockout tells an attacker nothing about accounts. Status 429.
    """
    status = settings.AXES_HTTP_RESPONSE_CODE
    context = getattr(original_response, "context_data", None)
    form = (context or {}).get("form")
    if form is None or not getattr(original_response, "template_name", None):
        return HttpResponse(lockout_message(), status=status, content_type="text/plain; charset=utf-8")
    # Replace every error (wrong password, inactive account) with the one message.
    form._errors = {"__all__": ErrorList([lockout_message()])}
    return TemplateResponse(request, original_response.template_name, context, status=status).render()
