"""Links vidhost hands out, and ``/metrics``, against request headers nobody vouches for
(issue 24): a spoofed ``Host`` or ``X-Forwarded-*`` never chooses the host of a playback,
upload or tus link unless the peer is a trusted proxy (``VIDHOST_TRUSTED_PROXIES``); and
``/metrics`` on a non-loopback bind needs the metrics token unless the operator opens it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.helpers import AUTH_ENV, auth
from tests.server import ServerProcess, free_port

pytestmark = pytest.mark.e2e

ALICE = auth("alice")
TUS = {"Tus-Resumable": "1.0.0", "Upload-Length": "1000"}
SPOOFED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
QUIET = {**AUTH_ENV, "VIDHOST_EMBEDDED_WORKER": "false"}


def links(server: ServerProcess, headers: dict[str, str]) -> list[str]:
    """The upload URL of a direct upload and the ``Location`` of a tus upload."""
    with httpx.Client(base_url=server.url, headers=ALICE) as c:
        init = c.post("/api/videos/init", json={}, headers=headers)
        assert init.status_code == 200, init.text
        tus = c.post("/api/v1/videos/tus", headers={**TUS, **headers})
        assert tus.status_code == 201, tus.text
        return [init.json()["uploadUrl"], tus.headers["location"]]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The embedded defaults: loopback bind, no public URL, no trusted proxy."""
    server = ServerProcess(tmp_path_factory.mktemp("origin-plain"), QUIET).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Bound to every address, behind a proxy on loopback; /metrics not opened."""
    env = {**QUIET, "VIDHOST_HOST": "0.0.0.0", "VIDHOST_TRUSTED_PROXIES": '["127.0.0.1/32"]'}
    server = ServerProcess(tmp_path_factory.mktemp("origin-proxied"), env).start()
    yield server
    server.stop()


def test_a_spoofed_host_never_names_the_links(plain: ServerProcess) -> None:
    for url in links(plain, SPOOFED) + links(plain, {"Host": "127.0.0.1:1"}):
        assert url.startswith(plain.url + "/"), url
        assert "evil" not in url
    assert httpx.get(plain.url + "/metrics").status_code == 200  # loopback: open as before


def test_a_trusted_proxy_names_the_links(proxied: ServerProcess) -> None:
    forwarded = {"X-Forwarded-Host": "videos.example.com", "X-Forwarded-Proto": "https"}
    for url in links(proxied, forwarded):
        assert url.startswith("https://videos.example.com/"), url
    for url in links(proxied, {"Host": "videos.example.com:8443"}):  # nginx's Host $host:port
        assert url.startswith("http://videos.example.com:8443/"), url
    # A forwarded value that is no host[:port] is not pasted into a URL.
    for url in links(proxied, {"X-Forwarded-Host": "evil.example/x?y=", "X-Forwarded-Proto": "js"}):
        assert url.startswith(f"http://127.0.0.1:{proxied.port}/"), url


def test_metrics_on_a_non_loopback_bind_need_the_token_or_an_opt_in(
    proxied: ServerProcess, tmp_path: Path
) -> None:
    r = httpx.get(proxied.url + "/metrics")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden"), r.text
    assert "VIDHOST_METRICS_TOKEN" in r.json()["error"]
    opened = ServerProcess(
        tmp_path / "open", {**QUIET, "VIDHOST_HOST": "0.0.0.0", "VIDHOST_METRICS_OPEN": "true"}
    ).start()
    try:
        r = httpx.get(opened.url + "/metrics")
        assert r.status_code == 200 and "vidhost_" in r.text
    finally:
        opened.stop()


def check_config(env: dict[str, str]) -> dict[str, str]:
    r = subprocess.run(
        [sys.executable, "-m", "vidhost", "check-config", "--timeout", "1"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return {line.split(":", 1)[0]: line for line in r.stdout.splitlines()}


def test_check_config_warns_when_links_and_metrics_are_left_to_chance(tmp_path: Path) -> None:
    data = {"VIDHOST_DATA_DIR": str(tmp_path / "data")}
    embedded = check_config(data)
    assert "[ok]" in embedded["public_url"] and "[ok]" in embedded["metrics"], embedded
    scaled = {**data, "VIDHOST_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"}
    lines = check_config({**scaled, "VIDHOST_HOST": "0.0.0.0"})
    assert "[WARN]" in lines["public_url"] and "VIDHOST_PUBLIC_URL" in lines["public_url"]
    assert "[WARN]" in lines["metrics"] and "VIDHOST_METRICS_TOKEN" in lines["metrics"]
    behind = check_config({**scaled, "VIDHOST_TRUSTED_PROXIES": '["10.0.0.0/8"]'})
    assert "[ok]" in behind["public_url"], behind
    public = check_config({**scaled, "VIDHOST_PUBLIC_URL": "https://videos.example.com"})
    assert "[ok]" in public["public_url"] and "https://videos.example.com" in public["public_url"]
