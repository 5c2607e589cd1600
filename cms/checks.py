"""Deployment checks of our own, run by `manage.py check --deploy` (RELIABILITY 34).

django-q2 signs *pickled* task payloads with SECRET_KEY, so whoever can write to the Redis broker
is one leaked key away from running code on every task host: Redis must require a password unless
it listens on the loopback interface only, and must not be reached over a public address.
"""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register


def _address(host):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@register(Tags.security, deploy=True)
def check_redis_broker(app_configs, **kwargs):
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return []
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return []
    host = parts.hostname or ""
    address = _address(host)
    loopback = host == "localhost" or (address is not None and address.is_loopback)
    found = []
    if not parts.password and not loopback:
        found.append(
            Warning(
                "REDIS_URL has no password for a Redis server that is not on this machine.",
                hint="Set requirepass or an ACL user on Redis and use redis://user:password@host:port/db "
                "(docs/deploy.md).",
                id="desk.W001",
            )
        )
    if address is not None and address.is_global:
        found.append(
            Warning(
                f"REDIS_URL points to a public address ({host}).",
                hint="Bind Redis to a private interface and firewall it from everything but the web and "
                "task hosts (docs/deploy.md).",
                id="desk.W002",
            )
        )
    return found
