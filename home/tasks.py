"""django-q2 tasks of the home app: plain functions, queued by name."""

import io

from django.core.management import call_command


def publish_scheduled():
    """Run Wagtail's `publish_scheduled`: publish and unpublish pages and snippets that are due."""
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    return {"output": out.getvalue()[-2000:]}
