"""Settings shared by every environment.

Every environment variable the project reads is read in the block below, once, with its type and a
safe development default. dev.py, production.py and test.py only adjust what differs.
"""

import contextlib
import os
import warnings
from pathlib import Path

import dj_database_url
from PIL import Image

from django.utils.translation import gettext_lazy as _

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Environment ---------------------------------------------------------------------------------
# SECRET_KEY has no default here: dev.py and test.py supply a throwaway one, production.py refuses
# to start without a real one (django-q2 signs pickled task payloads with it).
SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated), for
# login throttling by client address. Empty: the header is ignored and the peer address counts.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
REDIS_URL = os.environ.get("REDIS_URL", "")
# Where the embedded cluster publishes its heartbeat so that web processes can see it.
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media"))
# Inspection photos and other files that must never be served by URL: outside MEDIA_ROOT.
PRIVATE_MEDIA_ROOT = os.environ.get("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media"))
STATIC_ROOT = os.environ.get("STATIC_ROOT", str(BASE_DIR / "static_collected"))
SITE_BASE_URL = os.environ.get("SITE_BASE_URL", "http://127.0.0.1:8000")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "response-desk@localhost")
Q_WORKERS = env_int("Q_WORKERS", 2)
Q_TIMEOUT = env_int("Q_TIMEOUT", 300)
# Anonymous page cache (home/page_cache.py): off here and in dev/test, on by default in production.
PAGE_CACHE = env_bool("PAGE_CACHE", False)
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300)
# HTTP caching of public pages and open data (home/page_cache.py, docs/deploy.md): browsers keep a
# page HTTP_CACHE_MAX_AGE seconds, shared caches HTTP_CACHE_S_MAXAGE (purged on every public change);
# paginated variants and 404s, which are not purged one by one, HTTP_CACHE_QUERY_S_MAXAGE.
HTTP_CACHE_MAX_AGE = env_int("HTTP_CACHE_MAX_AGE", 60)
HTTP_CACHE_S_MAXAGE = env_int("HTTP_CACHE_S_MAXAGE", 600)
HTTP_CACHE_QUERY_S_MAXAGE = env_int("HTTP_CACHE_QUERY_S_MAXAGE", 60)
# Where purge requests go (wagtail.contrib.frontend_cache's HTTP backend), e.g. the internal purge
# listener of the nginx configuration in docs/deploy.md, http://10.0.0.2:8081. Empty: no purging.
FRONTEND_CACHE_PURGE_URL = os.environ.get("FRONTEND_CACHE_PURGE_URL", "")
# Only dev and test settings may turn this on; production.py forces it off.
ALLOW_DEMO_DATA = False
# --------------------------------------------------------------------------------------------------

INSTALLED_APPS = [
    # Before the project apps: its ready() connects Wagtail's own purge handlers, which home's
    # ready() then replaces with the one purge path (home/page_cache.py). No templates or commands.
    "wagtail.contrib.frontend_cache",
    # Project apps first so their templates and management commands take precedence.
    "home",
    "home.ledger",
    "snippets",
    "workflows",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "django_q",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Over-long or NUL-bearing query parameters: 400 before any view or SQL (RELIABILITY item 11).
    "cms.query_guard.QueryStringGuardMiddleware",
    # Cache-Control, ETag and Last-Modified for browsers and shared caches; 304 before any SQL.
    "home.page_cache.PublicHTTPCacheMiddleware",
    # Anonymous page cache: before anything that can query the database (a hit runs no SQL) and
    # outside the CSP, session and locale middleware, whose headers are stored with the page.
    "home.page_cache.AnonymousPageCacheMiddleware",
    # Content-Security-Policy on every response: strict for the site, relaxed for /admin/.
    "cms.csp.SiteCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so it sees a view's database error first: a 503 page instead of a 500.
    "cms.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent web + qcluster writers on one file: IMMEDIATE transactions take the write lock up
    # front (no deadlock-on-upgrade), WAL lets readers run beside the writer, and a 20 s busy
    # timeout rides out a long write instead of raising "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
    }
    Q_CACHE_ALIAS = "default"
    # Shared by every web process, and invalidated by the qcluster process (imports, publishing).
    CACHES["pages"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pages",
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # The cluster's heartbeat must be visible to other processes (the web server's /healthz):
        # a local-memory cache is not, so the embedded default keeps it in files.
        "qcluster": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "qcluster-cache"),
        },
    }
    Q_CACHE_ALIAS = "qcluster"
    # Files, for the same reason: gunicorn workers and the qcluster (which imports and publishes)
    # must see one generation, so invalidation reaches every process.
    CACHES["pages"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "page-cache"),
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
PAGE_CACHE_ALIAS = "pages"
PAGE_CACHE_MAX_BYTES = 4 * 1024 * 1024
# Frontend cache invalidation (wagtail.contrib.frontend_cache): purged from home.page_cache.invalidate,
# the one place that also empties the page cache. At most one purge task is queued per this many
# seconds' burst of changes (a lost task is then covered by the next change or by s-maxage).
WAGTAILFRONTENDCACHE = (
    {
        "proxy": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": FRONTEND_CACHE_PURGE_URL,
        }
    }
    if FRONTEND_CACHE_PURGE_URL
    else {}
)
FRONTEND_CACHE_PURGE_DEBOUNCE = 60
# Never cached, whatever the request: admin and preview, the channel check form (CSRF), health,
# documents (their own permission checks), per-receipt look-ups (unbounded keys) and the pages API.
PAGE_CACHE_EXCLUDE = (
    "/admin/",
    "/django-admin/",
    "/check/",
    "/healthz",
    "/documents/",
    "/api/receipts/",
    "/api/v2/",
)

# django-q2. Guarded by tests/test_settings_guards.py (RELIABILITY item 15).
Q_CLUSTER = {
    "name": "response-desk",
    "workers": Q_WORKERS,
    # A task running longer than this is killed; the longest job is a 100,000-row ledger import.
    "timeout": Q_TIMEOUT,
    # The ORM broker re-delivers a task not acknowledged within `retry` seconds. It must exceed the
    # timeout by a margin, or a slow but healthy task is started a second time.
    "retry": Q_TIMEOUT + 120,
    # Finite: a task that keeps failing stops being re-delivered. It does not see a task that kills
    # its worker (django-q2 #303): the workflows app counts attempts itself for those.
    "max_attempts": 3,
    # A failed task is acknowledged and recorded as a failure instead of being re-queued in a loop.
    "ack_failures": True,
    # After downtime run a schedule once, not once per missed slot (no burst of stale reminders).
    "catch_up": False,
    "save_limit": 5000,
    "cache": Q_CACHE_ALIAS,
    "label": _("任务队列"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.5

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Upload limits (RELIABILITY items 7-9). Wagtail decodes a whole image before it checks the pixel
# count, so the Pillow limit is what keeps a decompression bomb out of memory.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
DATA_UPLOAD_MAX_NUMBER_FILES = 20
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_IMAGE_PIXELS = 50_000_000
WAGTAILIMAGES_MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "pdf", "txt", "xlsx"]
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
# Every Wagtail image upload goes through the inspection-photo sanitiser (bombs, EXIF/GPS).
WAGTAILIMAGES_IMAGE_FORM_BASE = "snippets.forms.SanitisedImageForm"
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)
# Pillow opens only the formats we accept anywhere (inspection photos, Wagtail images, the public
# QR check): every other decoder is unregistered, so a TGA, PSD or ICO file never reaches its
# parser whatever its name (RELIABILITY 8 and 40). Writers are untouched.
PILLOW_OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
# Willow imports pillow-heif's decoder when it loads: register it now so that it is filtered too.
with contextlib.suppress(ImportError):
    from pillow_heif import HeifImagePlugin  # noqa: F401
Image.init()
for _format in [name for name in Image.OPEN if name not in PILLOW_OPEN_FORMATS]:
    del Image.OPEN[_format]
Image.ID[:] = [name for name in Image.ID if name in PILLOW_OPEN_FORMATS]

# Wagtail
WAGTAIL_SITE_NAME = "民政局疫情防控工作平台"
WAGTAILADMIN_BASE_URL = SITE_BASE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAILAPI_BASE_URL = SITE_BASE_URL
WAGTAILAPI_LIMIT_MAX = 100

# Wagtail's own background work (search index updates, reference index) goes through django-tasks.
# It runs immediately in-process on purpose: it is small, and our django-q2 cluster is for the
# bureau's jobs, whose delivery rules (retry, attempts, schedules) we control.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Content-Security-Policy (django-csp 4), in every environment so that tests see what production
# sends. The site and the login page: no inline or eval'd script and nothing from another origin;
# our templates keep their JavaScript in static files. Wagtail's admin needs inline script and
# style, so cms.csp gives paths under /admin/ ADMIN_CSP_DIRECTIVES instead.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}
ADMIN_CSP_DIRECTIVES = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
}
# No avatars from gravatar.com: it would leak staff e-mail hashes and break the admin policy.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Nor a version check against releases.wagtail.org from admins' browsers (upgrades: docs/deploy.md).
WAGTAIL_ENABLE_UPDATE_CHECK = False

LOGIN_URL = "wagtailadmin_login"
LOGIN_REDIRECT_URL = "wagtailadmin_home"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "home": {"handlers": ["console"], "level": "INFO"},
        "snippets": {"handlers": ["console"], "level": "INFO"},
        "workflows": {"handlers": ["console"], "level": "INFO"},
    },
}

# --- Sign-in hardening: login throttling and the TOTP second factor (accounts app) ---------------
# RELIABILITY items 32, 33 and 40. Kept together here; cms/accounts/throttle.py and
# cms/accounts/two_factor.py explain the rules.
INSTALLED_APPS += ["cms.accounts", "axes", "django_otp", "django_otp.plugins.otp_totp"]
# django-otp's middleware marks the session's verified device; ours then enforces the second factor.
# Both need request.user, so they go right after AuthenticationMiddleware. axes' middleware turns a
# lockout into its response and goes last, as axes documents.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
    "cms.accounts.middleware.SecondFactorMiddleware",
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT_PER_USERNAME = 5
LOGIN_FAILURE_LIMIT_PER_ADDRESS = 20
LOGIN_LOCKOUT_MINUTES = 30
AXES_HANDLER = "cms.accounts.throttle.ThrottleHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The per-username limit; ThrottleHandler reports an address over its own limit as at this one.
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT_PER_USERNAME
AXES_COOLOFF_TIME = "cms.accounts.throttle.cool_off"
AXES_CLIENT_IP_CALLABLE = "cms.accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "cms.accounts.throttle.lockout_response"
# A success does not clear the count: otherwise signing in to one's own account would reset the
# address counter between guesses at others.
AXES_RESET_ON_SUCCESS = False
AXES_HTTP_RESPONSE_CODE = 429
# Wagtail's admin password reset stays on (Django logs a failing SMTP send instead of raising, so a
# known and an unknown address get the same page; tests/test_login_throttling.py checks it).
WAGTAIL_PASSWORD_RESET_ENABLED = True
OTP_TOTP_ISSUER = WAGTAIL_SITE_NAME
# After the n-th wrong code a device refuses every code for 2^(n-1) s (django-otp's throttle).
OTP_TOTP_THROTTLE_FACTOR = 1
LOGGING["loggers"]["cms.accounts"] = {"handlers": ["console"], "level": "INFO"}
LOGGING["loggers"]["axes"] = {"handlers": ["console"], "level": "WARNING"}
# --------------------------------------------------------------------------------------------------
