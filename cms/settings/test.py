"""Tests: fast where speed costs nothing real, real where it matters (database, task cluster)."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR

SECRET_KEY = "test-secret-key-not-used-anywhere-else-0123456789abcdef"  # noqa: S105 - test only
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "var" / f"test-media-{os.getpid()}"))
PRIVATE_MEDIA_ROOT = os.environ.get(
    "PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / f"test-private-media-{os.getpid()}")
)

# A file, not :memory:, so that a real qcluster subprocess and concurrent threads see the same
# database. The pid keeps parallel runs on one machine apart.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("TEST_SQLITE_NAME", str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3"))
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DB_NAME", "test_response_desk")}  # noqa: F405

if "qcluster" in CACHES:  # noqa: F405
    # The heartbeat of a test's own qcluster subprocess, apart from a developer's running cluster.
    CACHES["qcluster"]["LOCATION"] = os.environ.get(  # noqa: F405
        "QCLUSTER_CACHE_DIR", str(BASE_DIR / "var" / f"test-qcache-{os.getpid()}")
    )
if CACHES["pages"]["BACKEND"].endswith("FileBasedCache"):  # noqa: F405
    CACHES["pages"]["LOCATION"] = os.environ.get(  # noqa: F405
        "PAGE_CACHE_DIR", str(BASE_DIR / "var" / f"test-page-cache-{os.getpid()}")
    )
# Off unless a test turns it on (tests/home/test_page_cache.py): other tests count queries.
PAGE_CACHE = False
ALLOW_DEMO_DATA = True
