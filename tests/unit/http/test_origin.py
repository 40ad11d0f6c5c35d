"""The base of the links vidhost hands out (issue 24): configuration decides, a request's
``Host`` and forwarded headers only when its peer is a trusted proxy."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from vidhost.app.settings import Settings
from vidhost.http.origin import base_url


def request(settings: Settings, peer: str, headers: dict[str, str]) -> Request:
    app: Any = SimpleNamespace(state=SimpleNamespace(container=SimpleNamespace(settings=settings)))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": (peer, 50000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": app,
    }
    return Request(scope)


SPOOF = {"host": "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https"}


@pytest.mark.parametrize(
    ("settings", "peer", "headers", "base"),
    [
        (Settings(port=8123), "127.0.0.1", SPOOF, "http://127.0.0.1:8123"),
        (Settings(host="0.0.0.0", port=80), "203.0.113.9", SPOOF, "http://127.0.0.1:80"),
        (Settings(public_url="https://v.example/"), "10.0.0.5", SPOOF, "https://v.example"),
        (Settings(trusted_proxies=["10.0.0.0/8"]), "10.0.0.5", SPOOF, "https://evil.example"),
        (Settings(trusted_proxies=["10.0.0.0/8"]), "10.9.9.9", {"host": "v.example:8443"},
         "http://v.example:8443"),
        (Settings(trusted_proxies=["10.0.0.5"], port=8000), "10.0.0.6", SPOOF,
         "http://127.0.0.1:8000"),
        (Settings(trusted_proxies=["10.0.0.5"], port=8000), "10.0.0.5",
         {"x-forwarded-host": "a.example/evil?", "x-forwarded-proto": "https"},
         "http://127.0.0.1:8000"),
        (Settings(trusted_proxies=["10.0.0.5"], port=8000), "10.0.0.5",
         {"x-forwarded-host": "a.example, b.example", "x-forwarded-proto": "javascript"},
         "http://127.0.0.1:8000"),
        (Settings(trusted_proxies=["::1"]), "::1", {"x-forwarded-host": "[2001:db8::1]:8443"},
         "http://[2001:db8::1]:8443"),
    ],
)  # fmt: skip
def test_links_come_from_configuration_or_a_trusted_proxy(
    settings: Settings, peer: str, headers: dict[str, str], base: str
) -> None:
    assert base_url(request(settings, peer, headers)) == base


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValueError, match=r"proxy\.example"):
        Settings(trusted_proxies=["proxy.example"])
