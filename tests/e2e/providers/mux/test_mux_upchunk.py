"""Mux's UpChunk (@mux/upchunk) in headless Chromium uploads to a Mux direct-upload URL in
chunks, from another origin (the upload's ``cors_origin``), and resumes after the
connection is cut in the middle of a chunk."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import mux_python
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV
from tests.e2e.mux_helpers import access_token, sdk, wait_asset, wait_upload
from tests.http_server import static_files
from tests.server import ServerProcess
from tests.tcp_proxy import CountingProxy

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[3] / "js"
CHUNK = 256 * 1024  # UpChunk's smallest chunk


class CuttingProxy(CountingProxy):
    """Drops every connection once, when the bytes sent upstream first pass ``cut_at``."""

    def __init__(self, target_port: int, cut_at: int) -> None:
        self.cut_at = cut_at
        self.cuts = 0
        super().__init__(target_port)

    def _pump(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        try:
            while data := src.recv(65536):
                if count:
                    with self._lock:
                        self.upstream += len(data)
                        fire = self.cuts == 0 and self.upstream > self.cut_at
                        if fire:
                            self.cuts += 1
                    if fire:
                        self.cut()
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets = [s for s in self._sockets if s not in (src, dst)]
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    assert shutil.which("node"), "node is required"
    assert (JS / "node_modules" / "@mux" / "upchunk").is_dir(), "npm ci in tests/js"
    data = tmp_path_factory.mktemp("upchunk")
    server = ServerProcess(data, env={**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240]"}).start()
    clip = make_clip(
        JS / ".upchunk-clip.mp4", duration=4, width=320, height=240, extra_args=["-qp", "0"]
    )
    pages = static_files(JS, cors=True)
    try:
        yield {
            "server": server,
            "clip": clip,
            "origin": pages.base_url,
            "token": access_token(server, "alice"),
        }
    finally:
        pages.close()
        server.stop()
        clip.unlink(missing_ok=True)


def upchunk(site: dict[str, Any], endpoint: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            "node",
            str(JS / "upchunk_upload.mjs"),
            f"{site['origin']}/upchunk.html",
            f"{site['origin']}/{site['clip'].name}",
            endpoint,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_upchunk_uploads_in_chunks_and_resumes_after_a_cut(site):
    size = site["clip"].stat().st_size
    assert size > 2 * CHUNK
    client = sdk(site["server"].url, site["token"])
    uploads = mux_python.DirectUploadsApi(client)
    created = uploads.create_direct_upload(
        mux_python.CreateUploadRequest(
            cors_origin=site["origin"],
            new_asset_settings=mux_python.CreateAssetRequest(playback_policy=["public"]),
        )
    ).data
    proxy = CuttingProxy(site["server"].port, cut_at=CHUNK + CHUNK // 2)  # inside chunk 2
    try:
        parts = urlsplit(created.url)
        result = upchunk(site, f"{proxy.url}{parts.path}?{parts.query}")
    finally:
        proxy.close()
    assert result["ok"], result
    assert proxy.cuts == 1
    # The cut-off chunk was sent again (by UpChunk's retry, or by Chromium itself when the cut
    # hit a reused connection): a good part of a chunk more than the file went through the proxy.
    assert proxy.upstream >= size + CHUNK // 4, (proxy.upstream, size)
    chunks = [e for e in result["events"] if e["type"] == "chunkSuccess"]
    assert len(chunks) == -(-size // CHUNK)
    assert [c["status"] for c in chunks[:-1]] == [308] * (len(chunks) - 1)
    assert chunks[0]["range"] == f"bytes=0-{CHUNK - 1}"
    assert chunks[-1]["status"] == 200
    upload = wait_upload(uploads, created.id)
    assert upload.status == "asset_created"
    asset = wait_asset(mux_python.AssetsApi(client), upload.asset_id)
    assert asset.status == "ready" and abs(asset.duration - 4.0) < 0.2
    # Every byte arrived once, in order: the stored source is the file.
    stored = Path(site["server"].data_dir) / "storage" / "videos" / asset.id / "source"
    digest = hashlib.sha256(stored.read_bytes()).hexdigest()
    assert digest == hashlib.sha256(site["clip"].read_bytes()).hexdigest()
