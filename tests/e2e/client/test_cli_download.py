"""``vidhost download``, run as a subprocess against a real ``vidhost serve``: a video still
processing is followed, the download asked for and followed until made, the file fetched
(resumed by Range after an interruption) and decoded with ffmpeg."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.client.test_cli import client_env, vidhost
from tests.e2e.download_checks import produced
from tests.e2e.helpers import AUTH_ENV, auth, set_visibility, upload, wait_for_state
from tests.server import ServerProcess
from tests.tcp_proxy import CountingProxy

pytestmark = pytest.mark.e2e

ALICE = auth("alice")
DURATION = 12.0
FPS = 25
FRAME = 1 / FPS


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("cli-download") / "data"
    # Loopback is a trusted proxy here: the tests' TCP proxy is, and the download links the
    # server hands out must point back through it.
    env = {**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240, 144]"}
    server = ServerProcess(data, {**env, "VIDHOST_TRUSTED_PROXIES": '["127.0.0.1"]'}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clips") / "beach.mp4"
    return make_clip(out, duration=DURATION, width=320, height=240, fps=FPS)


@pytest.fixture(scope="module")
def ready_id(srv: ServerProcess, clip: Path) -> str:
    video_id = upload(srv.url, clip, ALICE)
    assert wait_for_state(srv.url, video_id, ALICE, {"ready", "failed"})["state"] == "ready"
    return video_id


def _json(r: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert r.returncode == 0, r.stderr
    result: dict[str, Any] = json.loads(r.stdout)
    return result


def test_a_video_still_processing_is_followed_then_its_mp4_downloads_and_decodes(
    srv, clip, tmp_path
):
    video_id = upload(srv.url, clip, ALICE)  # answered at once: the video is processing
    env = client_env(tmp_path, srv.url)
    out = tmp_path / "out"
    out.mkdir()
    r = vidhost(env, "download", video_id, "-o", str(out))
    assert r.returncode == 0, r.stderr
    path = out / "beach-highest.mp4"  # a directory: the server's file name in it
    assert r.stdout.strip() == str(path)
    assert "processing" in r.stderr and "preparing highest.mp4" in r.stderr
    assert not path.with_name(path.name + ".part").exists()
    media = produced(path)
    assert media.video_seconds is not None and abs(media.video_seconds - DURATION) <= FRAME
    assert media.audio_seconds is not None and abs(media.audio_seconds - DURATION) <= FRAME
    assert media.height == 240
    downloads = httpx.get(f"{srv.url}/api/videos/{video_id}", headers=ALICE).json()["downloads"]
    assert [(d["name"], d["status"], d["bytes"]) for d in downloads] == [
        ("highest.mp4", "ready", path.stat().st_size)
    ]
    # Both waits rode sockets (the status socket, then /api/events), not a polling loop.
    log = srv.log_path.read_text()
    assert f'"WebSocket /video/{video_id}/status/stream" [accepted]' in log
    assert '"WebSocket /api/events" [accepted]' in log


def test_a_private_videos_audio_downloads_with_the_owners_token(srv, ready_id, tmp_path):
    set_visibility(srv.url, ready_id, "private", ALICE)
    try:
        env = client_env(tmp_path, srv.url)
        target = tmp_path / "sound.m4a"
        result = _json(
            vidhost(env, "download", ready_id, "-r", "audio", "-o", str(target), "--json")
        )
        assert result == {
            "videoId": ready_id,
            "name": "audio.m4a",
            "path": str(target),
            "bytes": target.stat().st_size,
            "resumedFrom": 0,
        }
        media = produced(target)
        assert media.video_seconds is None
        assert media.audio_seconds is not None and abs(media.audio_seconds - DURATION) <= FRAME
        # the same URL without a credential is refused: the owner's token is what opened it
        url = f"{srv.url}/stream/{ready_id}/downloads/audio.m4a"
        assert httpx.get(url).json()["code"] == "playback_token_required"
        # and nobody else's token opens it
        bob = client_env(tmp_path / "bob", srv.url, user="bob")
        r = vidhost(bob, "download", ready_id, "-o", str(tmp_path / "bob.m4a"))
        assert r.returncode == 1 and "access_denied" in r.stderr
    finally:
        set_visibility(srv.url, ready_id, "public", ALICE)


def test_refusals_exit_1_with_the_apis_code(srv, ready_id, tmp_path):
    env = client_env(tmp_path, srv.url)
    unavailable = vidhost(env, "download", ready_id, "-r", "1080p", "--json")
    assert unavailable.returncode == 1
    assert json.loads(unavailable.stdout)["error"]["code"] == "rendition_unavailable"
    missing = vidhost(env, "download", "0" * 32)
    assert missing.returncode == 1 and "not_found" in missing.stderr
    usage = vidhost(env, "download", ready_id, "-r", "4k")
    assert usage.returncode == 2 and "'4k' is not highest" in usage.stderr
    taken = tmp_path / "taken.mp4"
    taken.write_bytes(b"mine")
    exists = vidhost(env, "download", ready_id, "-o", str(taken))
    assert exists.returncode == 1 and "file_exists" in exists.stderr
    assert taken.read_bytes() == b"mine"
    forced = vidhost(env, "download", ready_id, "-r", "144p", "-o", str(taken), "--force")
    assert forced.returncode == 0, forced.stderr
    assert produced(taken).height == 144


def test_an_interrupted_download_resumes_with_only_the_rest(srv, ready_id, tmp_path):
    proxy = CountingProxy(srv.port)
    env = client_env(tmp_path, proxy.url)
    target = tmp_path / "resumed.mp4"
    part = target.with_name(target.name + ".part")
    first: subprocess.Popen[bytes] | None = None
    try:
        assert vidhost(env, "download", ready_id, "-o", str(tmp_path / "whole.mp4")).returncode == 0
        whole = (tmp_path / "whole.mp4").read_bytes()
        size = len(whole)
        first = subprocess.Popen(
            [sys.executable, "-m", "vidhost", "download", ready_id, "-o", str(target),
             "--limit-rate", str(max(size // 8, 16 * 1024))],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not part.exists() or part.stat().st_size < size * 0.3:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=30)
        assert first.returncode == 130, err
        assert b"run the same command again to resume the download" in err
        kept = part.stat().st_size
        assert size * 0.3 <= kept < size, (kept, size)
        assert not target.exists()

        proxy.reset()
        result = _json(vidhost(env, "download", ready_id, "-o", str(target), "--json"))
        assert result["resumedFrom"] == kept and result["bytes"] == size
        assert target.read_bytes() == whole and not part.exists()
        # What came back on the second run: the rest, plus the API's answers and headers.
        rest = size - kept
        assert rest <= proxy.downstream < rest + 64 * 1024, (proxy.downstream, rest, size)
        stored = json.loads((tmp_path / "state" / "vidhost" / "downloads.json").read_text())
        assert stored == {}
        assert hashlib.sha256(target.read_bytes()).hexdigest() == hashlib.sha256(whole).hexdigest()
    finally:
        if first is not None and first.poll() is None:
            first.kill()
            first.communicate()
        proxy.close()


def test_a_dropped_connection_is_retried_from_the_bytes_on_disk(srv, ready_id, tmp_path):
    proxy = CountingProxy(srv.port)
    env = client_env(tmp_path, proxy.url)
    target = tmp_path / "cut.mp4"
    part = target.with_name(target.name + ".part")
    run: subprocess.Popen[str] | None = None
    try:
        size = httpx.get(f"{srv.url}/api/videos/{ready_id}/downloads", headers=ALICE).json()
        (whole_size,) = [d["bytes"] for d in size if d["name"] == "highest.mp4"]
        run = subprocess.Popen(
            [sys.executable, "-m", "vidhost", "download", ready_id, "-o", str(target), "--json",
             "--limit-rate", str(max(whole_size // 6, 16 * 1024))],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not part.exists() or part.stat().st_size < whole_size * 0.4:
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proxy.reset()
        assert proxy.cut() >= 1  # the download's connection was open, and is dropped
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        result = json.loads(out)
        assert result["bytes"] == whole_size and result["resumedFrom"] == 0
        # After the cut: the rest (not the whole file again), plus headers.
        assert proxy.downstream < whole_size * 0.6 + 64 * 1024, (proxy.downstream, whole_size)
        assert target.stat().st_size == whole_size
        assert produced(target).height == 240
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.communicate()
        proxy.close()
