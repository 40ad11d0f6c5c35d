"""Shared by the Mux-surface tests: access tokens, the official SDK client, decoding."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import httpx
import mux_python

from tests.e2e.helpers import auth
from tests.http_server import Listener, Request
from tests.server import ServerProcess
from vidhost.media.binaries import ffmpeg_path


def access_token(server: ServerProcess, user: str) -> tuple[str, str]:
    """``vidhost access-token create --user USER``: its two lines, id and secret."""
    out = subprocess.run(
        [sys.executable, "-m", "vidhost", "access-token", "create", "--user", user],
        env={**os.environ, "VIDHOST_DATA_DIR": str(server.data_dir), **server.env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.splitlines()
    assert len(out) == 2, out
    return out[0], out[1]


def sdk(base: str, token: tuple[str, str]) -> mux_python.ApiClient:
    """The official mux-python client; only the host differs from Mux's."""
    cfg = mux_python.Configuration()
    cfg.host = base
    cfg.username, cfg.password = token
    return mux_python.ApiClient(cfg)


def wait_asset(assets: mux_python.AssetsApi, asset_id: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        asset = assets.get_asset(asset_id).data
        if asset.status != "preparing":
            return asset
        time.sleep(0.3)
    raise AssertionError(f"asset {asset_id} still preparing")


def wait_upload(uploads: mux_python.DirectUploadsApi, upload_id: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        upload = uploads.get_direct_upload(upload_id).data
        if upload.status != "waiting":
            return upload
        time.sleep(0.2)
    raise AssertionError(f"upload {upload_id} still waiting")


def decoded_seconds(url: str) -> float:
    """Decode the whole stream with ffmpeg; the last frame's time (seconds)."""
    out = subprocess.run(
        [
            ffmpeg_path(),
            "-v",
            "error",
            "-nostdin",
            "-i",
            url,
            "-map",
            "0:v:0",
            "-f",
            "null",
            "-",
            "-stats",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    marker = out.stderr.rsplit("time=", 1)[-1].split()[0]
    h, m, s = marker.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


class MuxReceiver(Listener):
    """A loopback webhook receiver that finds Mux events by type and object id."""

    def __init__(self) -> None:
        super().__init__(path="/mux-webhooks")

    def subscribe(self, server_url: str, user: str = "alice") -> str:
        """Register this receiver as ``user``'s Mux-format webhook endpoint; its secret."""
        r = httpx.post(
            f"{server_url}/api/webhooks",
            json={"url": self.url, "format": "mux"},
            headers=auth(user),
        )
        assert r.status_code == 201, r.text
        assert r.json()["format"] == "mux"
        return str(r.json()["secret"])

    def wait_for(self, event_type: str, object_id: str, timeout: float = 60) -> Request:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for r in list(self.requests):
                event = r.json()
                if event["type"] == event_type and event["object"]["id"] == object_id:
                    return r
            time.sleep(0.05)
        raise AssertionError(f"{event_type} not received: {[r.text[:80] for r in self.requests]}")
