"""Development: the embedded default (SQLite, django-q2 ORM broker, one qcluster)."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# A throwaway key for a developer's machine only; production.py refuses any key like it.
SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key"  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
ALLOWED_HOSTS = ["*"]
ALLOW_DEMO_DATA = True
