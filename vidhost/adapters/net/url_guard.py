"""Which URLs the server may fetch on a user's behalf, and which address to connect to.

Every server-side request to a URL that an API user supplied goes through ``UrlGuard``
(ADR 0052). ``check`` parses the URL and refuses anything that is not plain ``http(s)``
with a host name; ``resolve`` also resolves the host once and refuses it when any of its
addresses is not a public unicast address (loopback, RFC 1918, CGNAT, link-local,
multicast, unspecified, reserved, and IPv6 forms embedding one of those). The caller then
connects to one of the returned addresses itself (``pinned_request``), so DNS cannot answer
differently between the check and the connection.

Numeric host spellings that ``inet_aton`` accepts (``2130706433``, ``0x7f.1``, ``0177.0.0.1``,
``127.1``) are read as the address they name, exactly as the C library would when
connecting. Names with no public meaning (``localhost``, ``*.localhost``, cloud metadata
names) are refused without a lookup.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from vidhost.core.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses`` (as strings); raises ``OSError`` when the name does not
resolve. ``system_resolver`` in production; tests pass their own."""

INVALID_URL = "invalid_url"
URL_FORBIDDEN = "url_forbidden"

BLOCKED_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "ip6-loopback",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
"""Names refused without a lookup: they resolve privately (or only inside a cloud VM)."""

BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")
"""RFC 6761/6762/8375 special-use and private-use suffixes, and ``.internal`` (cloud VMs)."""

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


class InvalidUrl(InvalidInput):
    code = INVALID_URL


class ForbiddenUrl(InvalidInput):
    """The URL names a host the server must not connect to on a user's behalf."""

    code = URL_FORBIDDEN


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def blocked_reason(address: IPAddress) -> str | None:
    """Why the server must not connect to ``address``, or None for a public unicast one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            reason = blocked_reason(embedded)
            if reason is not None:
                return reason
            if address.ipv4_mapped is not None:
                return None
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not global", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def literal_address(host: str) -> IPAddress | None:
    """The address a numeric host names, in any spelling the C library connects to."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fx.]+", host) and re.search(r"[0-9]", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class Target:
    """A checked URL: ``host`` normalised (lower case, IDNA, no trailing dot)."""

    url: str
    scheme: str
    host: str
    port: int
    parts: SplitResult
    address: IPAddress | None = None
    """Set when the host is an address literal."""


@dataclass(frozen=True)
class Resolved:
    target: Target
    addresses: tuple[IPAddress, ...]


@dataclass(frozen=True)
class UrlPolicy:
    """What an operator admits besides public addresses (``VIDHOST_WEBHOOK_ALLOW_PRIVATE``,
    ``VIDHOST_WEBHOOK_ALLOWED_NETWORKS``, ``VIDHOST_WEBHOOK_ALLOWED_HOSTS``)."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls, *, allow_private: bool = False, networks: Iterable[str] = (), hosts: Iterable[str] = ()
    ) -> UrlPolicy:
        return cls(
            allow_private=allow_private,
            allowed_networks=tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks),
            allowed_hosts=frozenset(h.strip().lower().rstrip(".") for h in hosts if h.strip()),
        )

    def admits(self, address: IPAddress) -> bool:
        if self.allow_private or blocked_reason(address) is None:
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.allowed_networks)


def _normalise_host(raw: str) -> str:
    host = raw.strip().lower().rstrip(".")
    if not host:
        raise InvalidUrl("the URL has no host")
    if ":" in host:  # an IPv6 literal (urlsplit removed the brackets)
        return host
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidUrl("the URL's host is not a valid host name") from None
    if len(host) > 253 or not all(_LABEL.match(label) for label in host.split(".")):
        raise InvalidUrl("the URL's host is not a valid host name")
    return host


def parse(url: str) -> Target:
    """Syntax only: absolute ``http(s)``, a host, no user info, no whitespace or controls."""
    if not isinstance(url, str) or not url or len(url) > 2048:
        raise InvalidUrl("url must be an absolute http(s) URL of at most 2048 characters")
    if any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in url):
        raise InvalidUrl("url must not contain whitespace, control characters or backslashes")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidUrl("url must be an absolute http(s) URL")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise InvalidUrl("url must not contain user info (user:password@)")
    try:
        port = parts.port
    except ValueError:
        raise InvalidUrl("the URL's port is not a number from 1 to 65535") from None
    if parts.hostname is None:
        raise InvalidUrl("url must be an absolute http(s) URL")
    scheme = parts.scheme.lower()
    host = _normalise_host(parts.hostname)
    if port == 0:
        raise InvalidUrl("the URL's port is not a number from 1 to 65535")
    return Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        parts=parts,
        address=literal_address(host),
    )


class UrlGuard:
    def __init__(self, policy: UrlPolicy | None = None, resolver: Resolver = system_resolver):
        self.policy = policy or UrlPolicy()
        self.resolver = resolver

    def check(self, url: str) -> Resolved:
        """``parse`` plus ``resolve``: the URL is acceptable now, with these addresses."""
        return self.resolve(parse(url))

    def resolve(self, target: Target) -> Resolved:
        """Resolve once; every address must be admitted (public, or allowed by the policy)."""
        forbidden = ForbiddenUrl(
            "url must point at a public internet host: its host is local, private, "
            "link-local, multicast or reserved, or does not resolve"
        )
        if target.host in self.policy.allowed_hosts:
            admitted = True
        else:
            admitted = False
            blocked_name = target.host in BLOCKED_NAMES or target.host.endswith(BLOCKED_SUFFIXES)
            if blocked_name and not self.policy.allow_private:
                raise forbidden
        if target.address is not None:
            addresses: tuple[IPAddress, ...] = (target.address,)
        else:
            try:
                found = self.resolver(target.host, target.port)
                addresses = tuple(ipaddress.ip_address(a.split("%")[0]) for a in found)
            except (OSError, UnicodeError, ValueError):
                raise forbidden from None
            if not addresses:
                raise forbidden
        if not admitted and not all(self.policy.admits(a) for a in addresses):
            raise forbidden
        return Resolved(target, addresses)


def pinned_url(target: Target, address: IPAddress) -> str:
    """``target``'s URL with its host replaced by ``address`` (path and query unchanged)."""
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    path = target.parts.path or "/"
    query = f"?{target.parts.query}" if target.parts.query else ""
    return f"{target.scheme}://{host}:{target.port}{path}{query}"


def host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"
