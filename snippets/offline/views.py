"""Thin views of /inspect/: the page, its data, its service worker and manifest, and the sync
endpoint. Signed in and second factor as for the admin (`cms.accounts.middleware` serves a session
that still owes a code as anonymous here); inspectors only; every answer about records is
`private, no-store` so no shared cache keeps an unannounced round."""

import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from snippets import permissions
from snippets.offline import services

SCOPE = "/inspect/"
# The header the service worker reads to tell whose data a cached response holds.
USER_HEADER = "X-Inspect-User"
STATIC_ASSETS = (
    "inspect/app.js",
    "inspect/app.css",
    "inspect/icon.svg",
    "inspect/icon-192.png",
    "inspect/icon-512.png",
)


def _private(response, user):
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Cookie"
    response[USER_HEADER] = str(user.pk)
    return response


def _json_error(status, message, **extra):
    response = JsonResponse({"status": "error", "message": message, **extra}, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def inspector_only(api=False):
    """Anonymous: the login page (or a 401 for the JSON endpoints); other roles: 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if api:
                    message = _("登录已失效，请重新登录后再同步。")
                    return _json_error(401, message, login_url=reverse("wagtailadmin_login"))
                return redirect_to_login(request.get_full_path())
            if not permissions.is_inspector(request.user):
                if api:
                    return _json_error(403, _("只有督查员可以使用离线检查。"))
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@require_GET
@inspector_only()
def app(request):
    response = HttpResponse(
        render_to_string(
            "snippets/inspect/app.html",
            {"user_name": request.user.get_full_name() or request.user.get_username()},
            request=request,
        )
    )
    return _private(response, request.user)


@require_GET
@inspector_only(api=True)
def data(request):
    body = services.snapshot(request.user)
    body["csrf_token"] = get_token(request)
    return _private(JsonResponse(body, json_dumps_params={"ensure_ascii": False}), request.user)


@require_POST
@inspector_only(api=True)
def sync(request):
    """One queued operation: a JSON body, or multipart with a `payload` JSON part and photo files."""
    try:
        if request.content_type == "application/json":
            payload = json.loads(request.body or b"null")
        else:
            payload = json.loads(request.POST.get("payload") or "null")
    except (ValueError, UnicodeDecodeError):
        message = _("同步内容不是有效的 JSON。")
        return _json_error(400, message, errors=[{"field": "payload", "message": message}])
    try:
        result = services.apply_operation(request.user, payload, request.FILES)
    except services.SyncError as exc:
        body = {"status": exc.code, "message": str(exc), "errors": exc.errors}
        if isinstance(exc, services.SyncConflict) and exc.visit is not None:
            body["visit"] = services.visit_state(exc.visit)
        response = JsonResponse(body, status=exc.status, json_dumps_params={"ensure_ascii": False})
    else:
        response = JsonResponse(result, json_dumps_params={"ensure_ascii": False})
    return _private(response, request.user)


def _asset_version():
    """Changes whenever one of the cached files changes, so the service worker re-installs."""
    import hashlib

    digest = hashlib.sha256()
    for name in STATIC_ASSETS:
        path = finders.find(name)
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
        digest.update(static(name).encode())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request):
    """Served from /inspect/ so that its scope is /inspect/ (a script under /static/ could not be).
    Holds no record data: public, and revalidated on every update check."""
    body = render_to_string(
        "snippets/inspect/sw.js",
        {
            "version": _asset_version(),
            "assets": json.dumps([reverse("snippets_inspect:manifest"), *map(static, STATIC_ASSETS)]),
            "scope": SCOPE,
            "data_url": reverse("snippets_inspect:data"),
            "user_header": USER_HEADER,
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = SCOPE
    return response


@require_GET
def manifest(request):
    body = {
        "name": _("现场检查 · 民政局疫情防控"),
        "short_name": _("现场检查"),
        "lang": "zh-CN",
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b71c1c",
        # PNGs of the sizes Android asks for to install, and the SVG for everything else.
        "icons": [
            {"src": static("inspect/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("inspect/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("inspect/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    return response
