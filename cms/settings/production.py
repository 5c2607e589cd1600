"""Production: every secret from the environment, secure transport, no debug."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_int

DEBUG = False

# Refuse to start without a real key: django-q2 signs *pickled* task payloads with it, so a known
# key is remote code execution, not just forged sessions.
if not SECRET_KEY or SECRET_KEY.startswith("django-insecure-") or len(SECRET_KEY) < 40:  # noqa: F405
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 40 characters in production "
        "(and must not start with 'django-insecure-')."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Wagtail's preview renders the page in a same-origin iframe.
X_FRAME_OPTIONS = "SAMEORIGIN"
# security.W019 asks for X_FRAME_OPTIONS = "DENY". Silenced on purpose, and only this one check:
# Wagtail's page preview shows the page in an iframe of the admin (same origin), which DENY breaks.
# Framing by any other origin stays refused (SAMEORIGIN, and CSP frame-ancestors 'self').
SILENCED_SYSTEM_CHECKS = ["security.W019"]
# Registers `check --deploy` checks of the Redis broker (password, private address).
import cms.checks  # noqa: E402, F401

MIDDLEWARE = MIDDLEWARE[:1] + ["whitenoise.middleware.WhiteNoiseMiddleware"] + MIDDLEWARE[1:]  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}

# Anonymous visitors get cached public pages (home/page_cache.py).
PAGE_CACHE = env_bool("PAGE_CACHE", True)

ALLOW_DEMO_DATA = False
