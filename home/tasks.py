"""django-q2 tasks of the home app: plain functions, queued by name."""

import io

from django.core.management import call_command


def publish_scheduled():
    """Run Wagtail's `publish_scheduled`: publish and unpublish pages and snippets that are due."""
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    return {"output": out.getvalue()[-2000:]}


def purge_frontend_cache(gone_urls=()):
    """Purge the frontend cache of every public URL and of pages that left the public site (queued
    by home.page_cache.invalidate)."""
    from home import page_cache

    return {"purged": page_cache.purge_frontend_cache(gone_urls)}
