"""Refuse abusive query strings before any view or database sees them (RELIABILITY item 11).

A 100,000-character search term made SQLite's LIKE fail ("pattern too complex": a 503) and kept the
listings busy for seconds; a NUL byte cannot be sent to PostgreSQL at all. No search box, filter or
API parameter of this site needs more than a few hundred characters, so any query-string key or
value over MAX_QUERY_VALUE_LENGTH characters, or holding a NUL byte, is answered with a 400.
"""

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

MAX_QUERY_VALUE_LENGTH = 1000


def _abusive(query):
    for key, values in query.lists():
        if len(key) > MAX_QUERY_VALUE_LENGTH or "\x00" in key:
            return True
        for value in values:
            if len(value) > MAX_QUERY_VALUE_LENGTH or "\x00" in value:
                return True
    return False


class QueryStringGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("QUERY_STRING") and _abusive(request.GET):
            return HttpResponseBadRequest(
                _("查询参数过长或包含非法字符。"), content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
