"""Enforce the second factor on every request of a session that still owes one.

Installed right after django-otp's OTPMiddleware (which tells whether the session was verified).
For a signed-in user who must verify (`two_factor.needs_verification`) and has not:

- anything under the Wagtail admin (/admin/, including its API, previews, choosers and uploads)
  or the Django admin (/django-admin/) redirects to the setup page (no device yet) or the verify
  page, except those two pages, logout and the admin's static helpers they need;
- anywhere else the request is served as anonymous, so a password alone opens nothing that is
  permission-checked outside the admin either (inspection photos, attachments).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from cms.accounts import two_factor

SETUP_URL_NAME = "accounts_two_factor_setup"
VERIFY_URL_NAME = "accounts_two_factor_verify"
# Reachable before verifying: the two pages themselves, signing out, and the script and icon
# resources of the admin pages they are rendered in.
EXEMPT_VIEW_NAMES = {
    SETUP_URL_NAME,
    VERIFY_URL_NAME,
    "wagtailadmin_logout",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_sprite",
    "admin:logout",
}


async def _anonymous():
    return AnonymousUser()


def admin_prefixes():
    return (reverse("wagtailadmin_home"), reverse("admin:index"))


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # No session cookie, no signed-in user: skip without touching the session (which would
        # add `Vary: Cookie` to every public page).
        if settings.SESSION_COOKIE_NAME in request.COOKIES and two_factor.needs_verification(request.user):
            if request.path.startswith(admin_prefixes()):
                if not self._exempt(request):
                    return self._redirect(request)
            else:
                request.user = AnonymousUser()
                request.auser = _anonymous
        return self.get_response(request)

    @staticmethod
    def _exempt(request):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in EXEMPT_VIEW_NAMES

    @staticmethod
    def _redirect(request):
        url_name = VERIFY_URL_NAME if two_factor.has_device(request.user) else SETUP_URL_NAME
        url = reverse(url_name)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
