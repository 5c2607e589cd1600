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

HTTP caching (issue #16): `PublicHTTPCacheMiddleware` tells browsers and shared caches (nginx,
Varnish, a CDN) what they may keep. A response the page cache would store (same rules, plus a 404
of a public path) is sent `Cache-Control: public, max-age, s-maxage` with an `ETag` and a
`Last-Modified` taken from the generation (a random token and the time of the last public change),
so a conditional GET is answered 304 before any view runs. Every other response to a signed-in
visitor (session cookie, Authorization header, authenticated user) or from the admin is marked
`private, no-store`.
`invalidate()` is also where the frontend cache is purged (`wagtail.contrib.frontend_cache`, one
django-q2 task per burst of changes, `purge_frontend_cache()`): every live public page and the
open-data URLs of every published day.
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
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

logger = logging.getLogger(__name__)

GENERATION_KEY = "page-cache:generation"
# Set while a frontend purge task is queued and not yet started (one task per burst of changes).
PURGE_PENDING_KEY = "page-cache:frontend-purge-pending"
HEADER = "X-Page-Cache"
# The generation read for this request, shared by the two middleware of this module.
GENERATION_ATTRIBUTE = "public_cache_generation"
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


def _new_generation():
    # A random token (see the module docstring) and the time of the change, for Last-Modified.
    return f"{uuid.uuid4().hex}.{int(time.time())}"


def current_generation():
    cache = page_cache()
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _new_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def changed_at(generation):
    """The time (Unix seconds) of the public change that made `generation`."""
    try:
        return int(generation.rsplit(".", 1)[1])
    except (IndexError, ValueError):  # a token stored by an older release: no time known
        return int(time.time())


def bump():
    try:
        page_cache().set(GENERATION_KEY, _new_generation(), timeout=None)
    except Exception:  # the cache being down must not fail a publish; entries then expire by TTL
        logger.exception("Page cache: could not bump the generation")


def invalidate(gone_urls=()):
    """Drop every cached public page: now, and again once the current transaction commits; then
    purge the frontend cache (nginx, Varnish, a CDN), once the change is visible to other processes.
    `gone_urls`: URLs leaving the public site (an unpublished, moved or deleted page), which the
    purge would not find among the live pages.

    The second bump drops a page that another request rendered from the old rows between the first
    bump and the commit. Outside a transaction on_commit runs at once (two bumps, harmless).
    """
    bump()
    transaction.on_commit(bump)
    gone_urls = list(gone_urls)
    transaction.on_commit(lambda: request_frontend_purge(gone_urls))


def frontend_cache_configured():
    return bool(getattr(settings, "WAGTAILFRONTENDCACHE", None))


def request_frontend_purge(gone_urls=()):
    """Queue one purge of the frontend cache, unless one is queued and not yet started: that one
    reads the database after this change committed, so it covers it (but not URLs that left)."""
    if not frontend_cache_configured():
        return
    from django_q.tasks import async_task

    try:
        pending = not page_cache().add(PURGE_PENDING_KEY, 1, timeout=settings.FRONTEND_CACHE_PURGE_DEBOUNCE)
        if pending and not gone_urls:
            return
        async_task("home.tasks.purge_frontend_cache", list(gone_urls), task_name="frontend-cache-purge")
    except Exception:  # a broker or cache failure must not fail a publish; s-maxage bounds staleness
        logger.exception("Frontend cache: could not queue the purge")


def public_urls():
    """Every URL a shared cache may hold that a public change can alter: the live public pages
    (each with Wagtail's `get_cached_paths`), the open-data index and each published day's files.
    Paginated variants (query strings) are not listed: they get the shorter s-maxage instead."""
    from wagtail.contrib.frontend_cache.utils import PurgeBatch
    from wagtail.models import Page, Site

    from home.ledger.models import DisclosureRecord

    batch = PurgeBatch()
    batch.add_pages(Page.objects.live().public())
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        root = site.root_url
        batch.add_url(f"{root}/api/disclosures/")
        days = DisclosureRecord.objects.values_list("disclosure_date", flat=True).distinct()
        for day in days.order_by("disclosure_date"):
            for fmt in ("json", "csv", "xlsx"):
                batch.add_url(f"{root}/api/disclosures/{day.isoformat()}.{fmt}")
    return batch


def purge_frontend_cache(gone_urls=()):
    """Purge (with the nginx configuration of docs/deploy.md: refresh) every public URL, and
    `gone_urls`."""
    page_cache().delete(PURGE_PENDING_KEY)  # first: a change committed from now on queues another
    batch = public_urls()
    batch.add_urls(gone_urls)
    batch.purge()
    return len(batch.urls)


def _page_urls(page):
    """The public URLs a page has (Wagtail's own list for purging: its URL and cached paths)."""
    from wagtail.models import Page

    if not isinstance(page, Page) or not frontend_cache_configured():
        return []
    try:
        url = page.get_full_url()
        return [url + path.lstrip("/") for path in page.specific_deferred.get_cached_paths()] if url else []
    except Exception:  # the page is going away: purge what the live pages give, s-maxage does the rest
        logger.exception("Frontend cache: no URL for page %s", page.pk)
        return []


def _invalidate_on_signal(sender, instance=None, **kwargs):
    invalidate()


def _invalidate_on_unpublish(sender, instance=None, **kwargs):
    invalidate(gone_urls=_page_urls(instance))


def _invalidate_on_delete(sender, instance, **kwargs):
    """A deleted page, or a deleted live snippet (a donation channel), leaves the public site."""
    from wagtail.models import DraftStateMixin, Page

    if isinstance(instance, Page):
        invalidate(gone_urls=_page_urls(instance))
    elif isinstance(instance, DraftStateMixin) and instance.live:
        invalidate()


def connect_signals():
    """Wagtail's page lifecycle and every published, unpublished or deleted live snippet (donation
    channels). Wagtail's own frontend-cache handlers (a purge of the published page, sent before the
    publish commits, so a proxy could store the old page again) are replaced by `invalidate`'s."""
    from django.apps import apps
    from django.db.models.signals import post_delete

    from wagtail import signals
    from wagtail.contrib.frontend_cache import signal_handlers as frontend_handlers
    from wagtail.models import Page

    # A moved page's new URL is among the live pages; its old one lives out its s-maxage.
    for signal in (signals.page_published, signals.post_page_move, signals.published, signals.unpublished):
        signal.connect(_invalidate_on_signal, dispatch_uid=f"home.page_cache.{id(signal)}")
    signals.page_unpublished.connect(_invalidate_on_unpublish, dispatch_uid="home.page_cache.unpublished")
    post_delete.connect(_invalidate_on_delete, dispatch_uid="home.page_cache.delete")
    for model in [model for model in apps.get_models() if issubclass(model, Page)]:
        signals.page_published.disconnect(frontend_handlers.page_published_signal_handler, sender=model)
        signals.page_unpublished.disconnect(frontend_handlers.page_unpublished_signal_handler, sender=model)


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
    # The in-process cache keeps only full pages, within its size limit.
    return (
        response.status_code == 200
        and _response_is_public(request, response)
        and len(response.content) <= settings.PAGE_CACHE_MAX_BYTES
    )


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
            # stored below under the old generation is never served. PublicHTTPCacheMiddleware has
            # usually read it already (one shared-cache read per request, not two).
            generation = getattr(request, GENERATION_ATTRIBUTE, None) or current_generation()
            key = _cache_key(request, generation)
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


def _language(request):
    return translation.get_language_from_request(request)


def _validators(request, generation):
    """ETag and Last-Modified of any public response under `generation` (the URL is implied)."""
    return f'"{generation}-{_language(request)}"', changed_at(generation)


def _public_cache_control(request, status):
    if status == 200 and not request.GET:
        return {"max_age": settings.HTTP_CACHE_MAX_AGE, "s_maxage": settings.HTTP_CACHE_S_MAXAGE}
    # Paginated variants and 404s are not purged one by one: a shorter life in shared caches.
    short = min(settings.HTTP_CACHE_QUERY_S_MAXAGE, settings.HTTP_CACHE_S_MAXAGE)
    return {"max_age": min(settings.HTTP_CACHE_MAX_AGE, short), "s_maxage": short}


def _response_is_public(request, response):
    if response.status_code not in (200, 404) or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in REFUSING_CACHE_CONTROL):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


ADMIN_PREFIXES = ("/admin/", "/django-admin/")


def _private(request):
    """A signed-in visitor, or the admin (its login page too): never for a shared cache."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META:
        return True
    if request.path.startswith(ADMIN_PREFIXES):
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class PublicHTTPCacheMiddleware:
    """HTTP caching headers and conditional GETs (see the module docstring). Outermost of the
    project's middleware after the query guard: a 304 costs one shared-cache read and no SQL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        validators = None
        if _request_is_cacheable(request):
            try:
                generation = current_generation()
                setattr(request, GENERATION_ATTRIBUTE, generation)
                validators = _validators(request, generation)
            except Exception:
                logger.exception("HTTP cache: generation unavailable; no validators")
        if validators is not None and (
            "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META
        ):
            template = HttpResponse()
            self._mark_public(request, template, validators, 200)
            answer = get_conditional_response(
                request, etag=validators[0], last_modified=validators[1], response=template
            )
            if answer is not None and answer.status_code == 304:
                return answer
        response = self.get_response(request)
        if validators is not None and _response_is_public(request, response):
            self._mark_public(request, response, validators, response.status_code)
        elif _private(request) or "public" in response.get("Cache-Control", ""):
            # Nothing for a signed-in visitor or from the admin, nor a response this middleware did
            # not vouch for, may be kept by a shared cache.
            patch_cache_control(response, private=True, no_store=True)
        return response

    @staticmethod
    def _mark_public(request, response, validators, status):
        if "public" not in response.get("Cache-Control", ""):  # else the view chose its own lifetime
            patch_cache_control(response, public=True, **_public_cache_control(request, status))
        if status == 200:
            response["ETag"] = validators[0]
            response["Last-Modified"] = http_date(validators[1])
        # The language comes from Accept-Language or the language cookie (docs/deploy.md: the proxy
        # keys on the language instead).
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
