"""Anonymous page cache: public pages and open data served from the cache without touching the database.

Wired in cms/settings/base.py (`MIDDLEWARE`, near the top; `PAGE_CACHE*` settings and
the `pages` cache alias). Invalidated by `invalidate()`, connected to Wagtail's page and snippet
signals in `connect_signals()` (HomeConfig.ready) and called by the ledger services that change what
the public sees (import, correction, anonymisation, disclosure publish).

Why a global "public generation" rather than per-URL keys: one publish can change many pages at once
(a channel appears on home, appeal and channels; a disclosure changes the home totals, the index and
the open data), and knowing which URLs depend on which rows is exactly the kind of bookkeeping that
goes stale. Public content changes a few times a day and is read thousands of times a minute, so
throwing everything away on any change costs one render per page per change and cannot serve a page
that a change should have touched. The generation is a random token (not a counter) so that bumping it
needs no atomic increment: any new value orphans every entry stored under the old one.

What is never cached: anything but GET; a request carrying a session or messages cookie (a logged-in
user, or a visitor with pending messages: deciding needs the session, i.e. the database) or an
Authorization header; admin, preview, the channel check form (POST with a CSRF token), health and
receipt look-ups (see PAGE_CACHE_EXCLUDE); a query string with other keys than the pagination and
version ones (so random query strings cannot fill the cache); any response that is not a plain 200,
sets a cookie (a CSRF token on the page sets one), touched the session, or says private/no-store.
Pages are public already, so an entry holds nothing a visitor could not read on the site.
"""

import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse
from django.utils import translation

logger = logging.getLogger(__name__)

GENERATION_KEY = "page-cache:generation"
HEADER = "X-Page-Cache"
# Keys a public page or open-data URL understands (disclosure pagination and versions).
ALLOWED_QUERY_KEYS = frozenset({"cash_after", "goods_after", "allocation_after", "version"})
REFUSING_CACHE_CONTROL = ("private", "no-store", "no-cache")


def page_cache():
    return caches[settings.PAGE_CACHE_ALIAS]


class _LocalEntries:
    """A per-process copy of the entries this process served, in front of the shared cache.

    Keys carry the generation, which is still read from the shared cache on every request, so a
    local entry is never served after an invalidation made by any process; it only spares the
    read and decompression of the page itself. Least recently used entries go past `max_bytes`.
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.entries = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if time.time() - entry[3] > settings.PAGE_CACHE_SECONDS:  # expires with the shared one
                del self.entries[key]
                self.size -= len(entry[2])
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key, entry):
        size = len(entry[2])
        if size > self.max_bytes:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = entry
            self.size += size
            while self.size > self.max_bytes:
                _key, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped[2])

    def clear(self):
        with self.lock:
            self.entries.clear()
            self.size = 0


local_entries = _LocalEntries(max_bytes=32 * 1024 * 1024)


def enabled():
    return getattr(settings, "PAGE_CACHE", False)


def current_generation():
    cache = page_cache()
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def bump():
    try:
        page_cache().set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # the cache being down must not fail a publish; entries then expire by TTL
        logger.exception("Page cache: could not bump the generation")


def invalidate():
    """Drop every cached public page: now, and again once the current transaction commits.

    The second bump drops a page that another request rendered from the old rows between the first
    bump and the commit. Outside a transaction on_commit runs at once (two bumps, harmless).
    """
    bump()
    transaction.on_commit(bump)


def _invalidate_on_signal(sender, **kwargs):
    invalidate()


def _invalidate_on_delete(sender, instance, **kwargs):
    """A deleted page, or a deleted live snippet (a donation channel), leaves the public site."""
    from wagtail.models import DraftStateMixin, Page

    if isinstance(instance, Page) or (isinstance(instance, DraftStateMixin) and instance.live):
        invalidate()


def connect_signals():
    """Wagtail's page lifecycle and every published, unpublished or deleted live snippet (donation
    channels)."""
    from django.db.models.signals import post_delete

    from wagtail import signals

    for signal in (
        signals.page_published,
        signals.page_unpublished,
        signals.post_page_move,
        signals.published,
        signals.unpublished,
    ):
        signal.connect(_invalidate_on_signal, dispatch_uid=f"home.page_cache.{id(signal)}")
    post_delete.connect(_invalidate_on_delete, dispatch_uid="home.page_cache.delete")


def _cache_key(request, generation):
    try:
        host = request.get_host()
    except Exception:  # DisallowedHost: let the normal stack answer it
        return None
    # What LocaleMiddleware (inside this one) will pick: cookie, then Accept-Language.
    language = translation.get_language_from_request(request)
    url = f"{request.scheme}://{host}{request.get_full_path()}|{language}"
    return f"page-cache:v2:{generation}:{hashlib.sha256(url.encode()).hexdigest()}"


def _request_is_cacheable(request):
    if request.method != "GET":
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    if "HTTP_AUTHORIZATION" in request.META:
        return False
    if any(request.path.startswith(prefix) for prefix in settings.PAGE_CACHE_EXCLUDE):
        return False
    return all(key in ALLOWED_QUERY_KEYS for key in request.GET)


def _response_is_cacheable(request, response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in REFUSING_CACHE_CONTROL):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    return len(response.content) <= settings.PAGE_CACHE_MAX_BYTES


class AnonymousPageCacheMiddleware:
    """Serves anonymous GETs of public pages from the `pages` cache (see the module docstring).

    Placed outside the CSP, session and locale middleware (their headers are stored with the page;
    the language LocaleMiddleware will pick is part of the key) and before everything that could
    query the database, so a hit runs no SQL and little Python: one shared-cache read (the generation) and the
    entry from this process's copy, or a second shared read the first time this process serves it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enabled() or not _request_is_cacheable(request):
            return self.get_response(request)
        try:
            # Read before rendering: a change committed during the render bumps it, so the entry
            # stored below under the old generation is never served.
            key = _cache_key(request, current_generation())
            entry = None
            if key:
                entry = local_entries.get(key)
                if entry is None:
                    entry = page_cache().get(key)
                    if entry is not None:
                        local_entries.put(key, entry)
        except Exception:
            logger.exception("Page cache: lookup failed; serving uncached")
            return self.get_response(request)
        if entry is not None:
            status, headers, content, _stored_at = entry
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response[HEADER] = "hit"
            return response
        response = self.get_response(request)
        if key and _response_is_cacheable(request, response):
            headers = [(name, value) for name, value in response.items() if name != HEADER]
            entry = (response.status_code, headers, response.content, time.time())
            try:
                page_cache().set(key, entry, settings.PAGE_CACHE_SECONDS)
            except Exception:
                logger.exception("Page cache: store failed")
            else:
                local_entries.put(key, entry)
            response[HEADER] = "miss"
        return response
