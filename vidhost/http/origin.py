"""The base of every absolute URL vidhost hands out (playback, upload, tus ``Location``,
signed links): ``VIDHOST_PUBLIC_URL``; else, for a request from a trusted reverse proxy
(``VIDHOST_TRUSTED_PROXIES``), its ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` (else
``Host``); else the address ``serve`` listens on. A request's own ``Host`` or forwarded
headers never choose it otherwise: a spoofed header cannot send links to another host
(issue 24)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from vidhost.app.settings import Settings, public_base_url

if TYPE_CHECKING:
    from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")
"""A ``host[:port]`` a forwarded header may name: nothing that could break out of a URL."""


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries)


def trusted_peer(settings: Settings, peer: str | None) -> bool:
    """Whether the connection's peer is one of the trusted proxies."""
    if not settings.trusted_proxies or not peer:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in n for n in _networks(tuple(settings.trusted_proxies)))


def _first(value: str | None) -> str:
    return (value or "").split(",")[0].strip()


def base_url(request: Request) -> str:
    settings: Settings = request.app.state.container.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    peer = request.client.host if request.client else None
    if trusted_peer(settings, peer):
        proto = _first(request.headers.get("x-forwarded-proto")).lower() or request.url.scheme
        host = _first(request.headers.get("x-forwarded-host")) or request.headers.get("host", "")
        if proto in ("http", "https") and HOST.match(host):
            return f"{proto}://{host}"
    return public_base_url(settings)
