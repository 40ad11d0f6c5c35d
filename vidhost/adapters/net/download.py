"""Download a user-supplied URL to a file, through the URL guard (ADR 0052), size-capped.

The host is resolved and checked once; the request goes to a checked address (``Host`` and
TLS SNI keep the name), redirects are not followed, ``HTTP(S)_PROXY`` is not used. The body
is streamed to the file and the download stops as soon as it passes ``max_bytes`` (whatever
``Content-Length`` said); ``timeout`` bounds the whole download, not just each read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from vidhost.adapters.net.url_guard import Resolved, UrlGuard, host_header, pinned_url
from vidhost.core.errors import InvalidInput, TooLarge
from vidhost.core.sizes import format_size


class DownloadFailed(InvalidInput):
    code = "download_failed"


@dataclass(frozen=True)
class GuardedFetcher:
    """``core.ports.UrlFetcher``: ``download`` through ``guard`` (``Container.url_fetcher``)."""

    guard: UrlGuard

    def check(self, url: str) -> Resolved:
        return self.guard.check(url)

    def fetch(self, url: str, dest: Path, *, max_bytes: int, timeout: float) -> int:
        return download(self.guard, url, dest, max_bytes=max_bytes, timeout=timeout)


def download(guard: UrlGuard, url: str, dest: Path, *, max_bytes: int, timeout: float) -> int:
    """Fetch ``url`` into ``dest``; the size. Raises ``ForbiddenUrl``/``InvalidUrl`` (the
    guard), ``TooLarge`` (``file_too_large``) or ``DownloadFailed``."""
    resolved = guard.check(url)
    target = resolved.target
    headers = {"host": host_header(target), "user-agent": "vidhost-ingest/1"}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    with httpx.Client(timeout=min(timeout, 30.0), follow_redirects=False, trust_env=False) as c:
        for address in resolved.addresses[:3]:
            try:
                with c.stream(
                    "GET", pinned_url(target, address), headers=headers, extensions=extensions
                ) as response:
                    if response.status_code != 200:
                        raise DownloadFailed(f"the input URL answered HTTP {response.status_code}")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise TooLarge(
                            f"the input exceeds the {format_size(max_bytes)} limit",
                            code="file_too_large",
                        )
                    size = 0
                    with dest.open("wb") as out:
                        for chunk in response.iter_bytes():  # as it arrives
                            size += len(chunk)
                            if size > max_bytes:
                                raise TooLarge(
                                    f"the input exceeds the {format_size(max_bytes)} limit",
                                    code="file_too_large",
                                )
                            if time.monotonic() > deadline:
                                raise DownloadFailed(f"the download took over {timeout:g} s")
                            out.write(chunk)
                    return size
            except httpx.ConnectError as exc:
                last = exc
                continue
            except httpx.HTTPError:
                raise DownloadFailed("the input URL could not be downloaded") from None
    raise DownloadFailed("the input URL's host could not be reached") from last
