"""A database that is down or locked answers 503 with a plain page, never a traceback or a 500.

Two thin pieces, site-wide: `DatabaseUnavailableMiddleware` for errors raised by a view, and the
`handler500` view (wired in cms/urls.py) for errors raised outside views (session save, Wagtail's
redirect lookup, a middleware). The page is rendered without a request context, so rendering it
touches no database (no user, no site settings).
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10


def database_unavailable_response():
    body = loader.get_template("503.html").render(
        {"message": _("系统繁忙（数据库暂时不可用），您的操作未生效，请稍后重试。")}
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("Database unavailable: %s %s", request.method, request.path, exc_info=exception)
            return database_unavailable_response()
        return None


def server_error(request, *args, **kwargs):
    """handler500: a database error raised outside a view is still a 503, anything else a 500."""
    import sys

    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable_response()
    return HttpResponseServerError(loader.get_template("500.html").render())
