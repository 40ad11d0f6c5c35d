"""The outbound URL guard: every spelling of a local or private host is refused (ADR 0052)."""

from __future__ import annotations

import ipaddress

import pytest

from vidhost.adapters.net.url_guard import (
    ForbiddenUrl,
    InvalidUrl,
    UrlGuard,
    UrlPolicy,
    host_header,
    parse,
    pinned_url,
)

PUBLIC = "93.184.215.14"
NAMES = {
    "hooks.example.com": [PUBLIC],
    "dual.example.com": [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "rebinder.example.com": [PUBLIC, "127.0.0.1"],  # one bad address is enough
    "private.example.com": ["10.1.2.3"],
    "metadata.google.internal": ["169.254.169.254"],
    "localhost": ["127.0.0.1"],
}
lookups: list[str] = []


def resolver(host: str, port: int) -> list[str]:
    lookups.append(host)
    if host not in NAMES:
        raise OSError("no such host")
    return NAMES[host]


guard = UrlGuard(resolver=resolver)

FORBIDDEN = [
    "http://127.0.0.1:22/",
    "http://localhost:6379/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://[::1]/hook",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # CGNAT
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[ff02::1]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://private.example.com/",  # a public-looking name that resolves privately
    "http://rebinder.example.com/",
    "http://nowhere.example.com/",  # does not resolve
    "https://printer.local/",
]


@pytest.mark.parametrize("url", FORBIDDEN)
def test_local_private_and_special_hosts_are_refused(url: str) -> None:
    with pytest.raises(ForbiddenUrl) as refused:
        guard.check(url)
    assert refused.value.code == "url_forbidden"
    assert "127.0.0.1" not in refused.value.message  # one message for every reason


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "//example.com/x",
        "example.com/x",
        "http://user:pw@example.com/",
        "http://user@example.com/",
        "http://example.com:0/",
        "http://example.com:99999/",
        "http://exa mple.com/",
        "http://example.com\\@127.0.0.1/",
        "http://%31%32%37.0.0.1/",
        "http:///nohost",
        "http://" + "a" * 2100 + ".com/",
    ],
)
def test_malformed_urls_and_user_info_are_invalid(url: str) -> None:
    with pytest.raises(InvalidUrl) as refused:
        guard.check(url)
    assert refused.value.code == "invalid_url"


def test_public_hosts_pass_with_every_address_resolved_once() -> None:
    lookups.clear()
    resolved = guard.check("https://hooks.example.com/webhooks?x=1")
    assert resolved.addresses == (ipaddress.ip_address(PUBLIC),)
    assert lookups == ["hooks.example.com"]
    dual = guard.check("http://DUAL.example.com:8080/")
    assert len(dual.addresses) == 2 and dual.target.host == "dual.example.com"
    assert guard.check("http://93.184.215.14/").addresses == (ipaddress.ip_address(PUBLIC),)
    assert guard.check("http://[2606:4700:4700::1111]/").target.port == 80
    assert lookups == ["hooks.example.com", "dual.example.com"]  # literals need no lookup


def test_policy_admits_private_targets_only_as_configured() -> None:
    everything = UrlGuard(UrlPolicy.build(allow_private=True), resolver=resolver)
    for url in ("http://127.0.0.1:22/", "http://localhost:9/", "http://private.example.com/"):
        everything.check(url)
    with pytest.raises(ForbiddenUrl):
        everything.check("http://nowhere.example.com/")  # still has to resolve

    loopback = UrlGuard(UrlPolicy.build(networks=["127.0.0.0/8"]), resolver=resolver)
    loopback.check("http://127.0.0.1:8080/")
    loopback.check("http://0x7f.1/")
    loopback.check("http://[::ffff:127.0.0.1]/")
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://localhost/"):
        with pytest.raises(ForbiddenUrl):
            loopback.check(url)

    named = UrlGuard(UrlPolicy.build(hosts=["private.example.com"]), resolver=resolver)
    named.check("http://private.example.com/")
    with pytest.raises(ForbiddenUrl):
        named.check("http://10.1.2.3/")


def test_pinned_url_keeps_path_and_query_and_host_header_keeps_the_name() -> None:
    target = parse("https://hooks.example.com:8443/in/hook?a=1#frag")
    assert pinned_url(target, ipaddress.ip_address(PUBLIC)) == (
        f"https://{PUBLIC}:8443/in/hook?a=1"
    )
    assert host_header(target) == "hooks.example.com:8443"
    six = ipaddress.ip_address("2606:4700:4700::1111")
    assert pinned_url(parse("http://x.example.com"), six) == "http://[2606:4700:4700::1111]:80/"
    assert host_header(parse("http://x.example.com:80/")) == "x.example.com"
