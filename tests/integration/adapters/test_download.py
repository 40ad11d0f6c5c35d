"""``adapters/net/download.py``: the guarded pull of an input URL (Mux ``input``), against a real
loopback HTTP server: size cap while streaming, whole-download timeout, no redirects."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.http_server import Server
from vidhost.adapters.net.download import DownloadFailed, GuardedFetcher, download
from vidhost.adapters.net.url_guard import ForbiddenUrl, UrlGuard, UrlPolicy
from vidhost.core.errors import TooLarge
from vidhost.core.ports import UrlFetcher

BODY = b"v" * 300_000


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/file")
            self.end_headers()
            return
        if self.path == "/slow":
            self.send_response(200)
            self.end_headers()
            for _ in range(80):  # 4 s in all
                self.wfile.write(b"x" * 1024)
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.send_response(200)
        if self.path != "/chunked":  # no Content-Length: only the streaming cap can stop it
            self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with Server(Handler) as server:
        yield server.base_url


GUARD = UrlGuard(UrlPolicy.build(networks=["127.0.0.1/32"]))


def test_downloads_within_the_cap(origin: str, tmp_path: Path) -> None:
    dest = tmp_path / "f"
    assert download(GUARD, f"{origin}/file", dest, max_bytes=len(BODY), timeout=10) == len(BODY)
    assert dest.read_bytes() == BODY


@pytest.mark.parametrize("path", ["/file", "/chunked"])
def test_over_the_cap_stops(origin: str, tmp_path: Path, path: str) -> None:
    with pytest.raises(TooLarge) as refused:
        download(GUARD, origin + path, tmp_path / "f", max_bytes=100_000, timeout=10)
    assert refused.value.code == "file_too_large"


def test_timeout_bounds_the_whole_download(origin: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(DownloadFailed):
        download(GUARD, f"{origin}/slow", tmp_path / "f", max_bytes=10**6, timeout=0.5)
    assert time.monotonic() - started < 3.0  # stopped well before the server's 4 s


def test_redirects_are_not_followed(origin: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadFailed) as failed:
        download(GUARD, f"{origin}/redirect", tmp_path / "f", max_bytes=10**6, timeout=10)
    assert "302" in failed.value.message


def test_the_default_guard_refuses_loopback(origin: str, tmp_path: Path) -> None:
    with pytest.raises(ForbiddenUrl):
        download(UrlGuard(), f"{origin}/file", tmp_path / "f", max_bytes=10**6, timeout=10)


def test_the_fetcher_port_downloads_through_its_guard(origin: str, tmp_path: Path) -> None:
    """``Container.url_fetcher`` (Mux's URL pulls): the same guarded download."""
    fetcher: UrlFetcher = GuardedFetcher(GUARD)
    fetcher.check(f"{origin}/file")
    assert fetcher.fetch(f"{origin}/file", tmp_path / "f", max_bytes=10**6, timeout=10) == len(BODY)
    closed: UrlFetcher = GuardedFetcher(UrlGuard())
    with pytest.raises(ForbiddenUrl):
        closed.check(f"{origin}/file")
    with pytest.raises(ForbiddenUrl):
        closed.fetch(f"{origin}/file", tmp_path / "g", max_bytes=10**6, timeout=10)
    assert not (tmp_path / "g").exists()
