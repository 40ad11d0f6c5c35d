"""The ``vidhost`` client commands, run as subprocesses against a real ``vidhost serve``."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth
from tests.server import ServerProcess
from tests.tcp_proxy import CountingProxy
from vidhost.http.auth.tokens import issue_token
from vidhost.media.binaries import ffmpeg_path

pytestmark = pytest.mark.e2e
SECRET = AUTH_ENV["VIDHOST_JWT_SECRET"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    # Loopback is a trusted proxy here: the tests' TCP proxy is, and the links the server
    # hands out (tus Location) must point back through it.
    env = {**AUTH_ENV, "VIDHOST_TRUSTED_PROXIES": '["127.0.0.1"]'}
    server = ServerProcess(tmp_path_factory.mktemp("cli") / "data", env).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", duration=2.0)


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~45 MB of real H.264: noisy frames encoded lossless, so the bitrate is huge."""
    out = tmp_path_factory.mktemp("big") / "big.mp4"
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=4,noise=alls=80:allf=t",
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "0", "-pix_fmt", "yuv420p",
         str(out)],
        check=True, timeout=120,
    )  # fmt: skip
    assert 30e6 < out.stat().st_size < 80e6, out.stat().st_size
    return out


def client_env(home: Path, server: str, user: str | None = "alice") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDHOST_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        VIDHOST_SERVER=server,
        PYTHONPATH=str(Path(__file__).resolve().parents[3]),
    )
    if user:
        env["VIDHOST_TOKEN"] = issue_token(SECRET, user)
    return env


def vidhost(
    env: dict[str, str], *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vidhost", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def test_upload_wait_ends_ready_with_the_playback_url(srv, clip, tmp_path):
    env = client_env(tmp_path, srv.url)
    r = vidhost(env, "upload", str(clip), "--wait", "--title", "Beach", "--tags", "sea,sun")
    assert r.returncode == 0, r.stderr
    # Results on stdout, progress on stderr.
    [line] = r.stdout.splitlines()
    name, video_id, state, url = line.split()
    assert (name, state) == ("clip.mp4:", "ready")
    assert url == f"{srv.url}/stream/{video_id}/manifest"
    assert "clip.mp4" in r.stderr and "processing" in r.stderr
    manifest = httpx.get(url)
    assert manifest.status_code == 200 and manifest.text.startswith("#EXTM3U")
    details = httpx.get(f"{srv.url}/api/videos/{video_id}", headers=auth("alice")).json()
    assert (details["title"], details["tags"], details["visibility"]) == (
        "Beach",
        ["sea", "sun"],
        "public",
    )
    # Processing was followed on the per-video socket (user JWT in the header), not polled.
    assert f'"WebSocket /video/{video_id}/status/stream" [accepted]' in srv.log_path.read_text()
    assert (
        not (tmp_path / "state" / "vidhost" / "uploads.json").exists()
        or json.loads((tmp_path / "state" / "vidhost" / "uploads.json").read_text()) == {}
    )


def test_upload_wait_json_private_video_gets_a_signed_url(srv, clip, tmp_path):
    env = client_env(tmp_path, srv.url)
    r = vidhost(env, "upload", str(clip), "--wait", "--visibility", "private", "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # --json is quiet
    [result] = json.loads(r.stdout)
    assert result["state"] == "ready" and result["resumedFrom"] == 0
    assert result["size"] == clip.stat().st_size
    video_id = result["videoId"]
    assert "?token=" in result["playbackUrl"]
    assert result["pageUrl"] == f"{srv.url}/videos/{video_id}"
    # Private: the bare manifest is refused, the signed URL plays with no other credential.
    bare = httpx.get(f"{srv.url}/stream/{video_id}/manifest")
    assert bare.status_code == 403 and bare.json()["code"] == "playback_token_required"
    signed = httpx.get(result["playbackUrl"])
    assert signed.status_code == 200 and "token=" in signed.text


def test_not_a_video_exits_1_with_the_code(srv, tmp_path):
    env = client_env(tmp_path, srv.url)
    fake = tmp_path / "holiday.mp4"
    fake.write_bytes(os.urandom(200_000))
    r = vidhost(env, "upload", str(fake), "--wait")
    assert r.returncode == 1
    assert "not_a_video" in r.stderr and r.stdout == ""
    r = vidhost(env, "upload", str(fake), "--json")
    assert r.returncode == 1
    [result] = json.loads(r.stdout)
    assert result["state"] == "failed" and result["error"]["code"] == "not_a_video"
    empty = tmp_path / "empty.mp4"
    empty.touch()
    r = vidhost(env, "upload", str(empty), str(fake), "--json")
    assert r.returncode == 1
    assert [res["error"]["code"] for res in json.loads(r.stdout)] == ["empty_file", "not_a_video"]


def test_server_errors_exit_1_with_the_code(srv, clip, tmp_path):
    r = vidhost(client_env(tmp_path, srv.url, user=None), "upload", str(clip))
    assert r.returncode == 1 and "unauthorized" in r.stderr
    r = vidhost(client_env(tmp_path, "http://127.0.0.1:9"), "ls")
    assert r.returncode == 1 and "connection_failed" in r.stderr
    r = vidhost(client_env(tmp_path, srv.url), "status", "no-such-video", "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["error"]["code"] == "video_not_found"


@pytest.mark.parametrize(
    "args",
    [
        ["upload"],
        ["upload", "/does/not/exist.mp4"],
        ["upload", "CLIP", "--visibility", "secret"],
        ["upload", "CLIP", "--chunk-size", "lots"],
        ["ls", "--state", "bogus"],
        ["status"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(srv, clip, tmp_path, args):
    args = [str(clip) if a == "CLIP" else a for a in args]
    r = vidhost(client_env(tmp_path, srv.url), *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""


def test_ls_status_open_rm(srv, clip, tmp_path):
    env = client_env(tmp_path, srv.url, user="lister")
    r = vidhost(env, "upload", str(clip), "--title", "Listed one", "--json")
    assert r.returncode == 0, r.stderr
    video_id = json.loads(r.stdout)[0]["videoId"]

    listed = vidhost(env, "ls", "--json")
    assert listed.returncode == 0
    assert [v["id"] for v in json.loads(listed.stdout)] == [video_id]
    table = vidhost(env, "ls")
    assert table.returncode == 0
    assert video_id in table.stdout and "Listed one" in table.stdout and "STATE" in table.stdout
    assert json.loads(vidhost(env, "ls", "--state", "failed", "--json").stdout) == []

    shown = vidhost(env, "status", video_id, "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == video_id
    human = vidhost(env, "status", video_id)
    assert human.returncode == 0 and video_id in human.stdout and "Listed one" in human.stdout
    other = vidhost(client_env(tmp_path, srv.url, user="mallory"), "status", video_id)
    assert other.returncode == 1 and "access_denied" in other.stderr

    opened = vidhost(env, "open", video_id, "--print")
    assert opened.returncode == 0 and opened.stdout.strip() == f"{srv.url}/videos/{video_id}"
    # Without --print it opens a browser: $BROWSER (as webbrowser honours it) gets the page.
    seen = tmp_path / "browser-saw.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {seen}\n')
    browser.chmod(0o755)
    launched = vidhost({**env, "BROWSER": str(browser)}, "open", video_id)
    assert launched.returncode == 0 and launched.stdout == "", launched.stderr
    assert seen.read_text() == f"{srv.url}/videos/{video_id}"

    removed = vidhost(env, "rm", video_id)
    assert removed.returncode == 0 and removed.stdout.strip() == f"deleted {video_id}"
    gone = vidhost(env, "status", video_id)
    assert gone.returncode == 1 and "video_not_found" in gone.stderr
    assert json.loads(vidhost(env, "ls", "--json").stdout) == []


def test_edit_changes_only_the_options_given(srv, clip, tmp_path):
    env = client_env(tmp_path, srv.url, user="editor")
    r = vidhost(
        env, "upload", str(clip), "--title", "Before", "--description", "Kept words",
        "--tags", "a,b", "--visibility", "unlisted", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    video_id = json.loads(r.stdout)[0]["videoId"]

    edited = vidhost(env, "edit", video_id, "--title", "After")
    assert edited.returncode == 0, edited.stderr
    assert edited.stdout.strip() == f"edited {video_id}: title='After'"
    v = json.loads(vidhost(env, "status", video_id, "--json").stdout)
    assert (v["title"], v["description"], v["tags"], v["visibility"]) == (
        "After", "Kept words", ["a", "b"], "unlisted",
    )  # fmt: skip

    r = vidhost(env, "edit", video_id, "--visibility", "private", "--tags", "", "--json")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)
    assert (v["title"], v["description"], v["tags"], v["visibility"]) == (
        "After", "Kept words", [], "private",
    )  # fmt: skip

    nothing = vidhost(env, "edit", video_id)
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    bad = vidhost(env, "edit", video_id, "--title", "")
    assert bad.returncode == 1 and "invalid_request" in bad.stderr
    other = vidhost(client_env(tmp_path, srv.url, user="mallory"), "edit", video_id, "--title", "X")
    assert other.returncode == 1 and "access_denied" in other.stderr
    assert json.loads(vidhost(env, "status", video_id, "--json").stdout)["title"] == "After"


def test_login_stores_a_private_config(srv, tmp_path):
    env = client_env(tmp_path, "http://127.0.0.1:9", user=None)
    config = tmp_path / "config" / "vidhost" / "config.json"
    bad = vidhost(env, "login", "--server", srv.url, "--token", "not-a-jwt")
    assert bad.returncode == 1 and "invalid_token" in bad.stderr and not config.exists()

    token = issue_token(SECRET, "carol")
    r = vidhost(env, "login", "--server", srv.url, "--token", token)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert json.loads(config.read_text()) == {"server": srv.url, "token": token}

    # Later commands use it with no option or environment.
    env.pop("VIDHOST_SERVER")
    r = vidhost(env, "ls", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == []
    # The environment still wins over the file.
    r = vidhost({**env, "VIDHOST_TOKEN": "nope"}, "ls")
    assert r.returncode == 1 and "invalid_token" in r.stderr

    assert vidhost(env, "logout").returncode == 0
    assert json.loads(config.read_text()) == {"server": srv.url}
    r = vidhost(env, "ls")
    assert r.returncode == 1 and "unauthorized" in r.stderr


def _stored_upload(state: Path, timeout: float = 60) -> dict:
    path = state / "vidhost" / "uploads.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            entries = json.loads(path.read_text())
        except (OSError, ValueError):
            entries = {}
        if entries:
            [entry] = entries.values()
            return entry
        time.sleep(0.05)
    raise AssertionError("the CLI never stored its upload URL")


def _offset(srv: ServerProcess, url: str, headers: dict[str, str]) -> int:
    """The server's offset, asked past the proxy (whose counts stay the CLI's own)."""
    direct = httpx.URL(url).copy_with(port=srv.port)
    r = httpx.head(direct, headers={**headers, "Tus-Resumable": "1.0.0"})
    assert r.status_code == 200, r.headers
    return int(r.headers["upload-offset"])


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_interrupted_halfway_then_resume_sends_only_the_rest(srv, big_clip, tmp_path, sig):
    size = big_clip.stat().st_size
    proxy = CountingProxy(srv.port)
    env = client_env(tmp_path, proxy.url)
    headers = {"Authorization": f"Bearer {env['VIDHOST_TOKEN']}"}
    entry: dict = {}
    first: subprocess.Popen[bytes] | None = None
    try:
        first = subprocess.Popen(
            [sys.executable, "-m", "vidhost", "upload", str(big_clip), "--json",
             "--chunk-size", "1M", "--limit-rate", "12M"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        entry = _stored_upload(tmp_path / "state")
        assert entry["size"] == size
        deadline = time.monotonic() + 60
        while _offset(srv, entry["url"], headers) < size * 0.35:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first.send_signal(sig)
        _, err = first.communicate(timeout=30)
        if sig == signal.SIGINT:
            assert first.returncode == 130
            assert b"run the same command again to resume" in err
        # The server notices the dropped connection; wait until its offset stops moving.
        before = -1
        committed = _offset(srv, entry["url"], headers)
        while committed != before:
            time.sleep(0.5)
            before, committed = committed, _offset(srv, entry["url"], headers)
        assert size * 0.3 < committed < size * 0.9, (committed, size)

        proxy.reset()
        second = vidhost(env, "upload", str(big_clip), "--json", "--chunk-size", "4M")
        assert second.returncode == 0, second.stderr
        [result] = json.loads(second.stdout)
        assert result["videoId"] == entry["videoId"]
        assert result["resumedFrom"] == committed
        # What reached the server on the second run: the rest, plus requests' headers.
        rest = size - committed
        assert rest <= proxy.upstream < rest + 256 * 1024, (proxy.upstream, rest, size)

        source = srv.data_dir / "storage" / "videos" / entry["videoId"] / "source"
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        assert digest == hashlib.sha256(big_clip.read_bytes()).hexdigest()
        assert json.loads((tmp_path / "state" / "vidhost" / "uploads.json").read_text()) == {}
    finally:
        if first is not None and first.poll() is None:
            first.kill()
            first.communicate()
        proxy.close()
        if entry:  # spare the shared server the transcode of 45 MB of noise
            httpx.delete(f"{srv.url}/api/videos/{entry['videoId']}", headers=headers)


def test_dropped_connections_are_retried_from_the_server_offset(srv, big_clip, tmp_path):
    size = big_clip.stat().st_size
    proxy = CountingProxy(srv.port)
    env = client_env(tmp_path, proxy.url)
    headers = {"Authorization": f"Bearer {env['VIDHOST_TOKEN']}"}
    entry: dict = {}
    try:
        run = subprocess.Popen(
            [sys.executable, "-m", "vidhost", "upload", str(big_clip), "--json",
             "--chunk-size", "2M", "--limit-rate", "15M"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        entry = _stored_upload(tmp_path / "state")
        for fraction in (0.25, 0.6):
            deadline = time.monotonic() + 60
            while _offset(srv, entry["url"], headers) < size * fraction:
                assert run.poll() is None, run.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert proxy.cut() >= 1  # the upload's connection was open, and is dropped
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        [result] = json.loads(out)
        assert result["state"] in ("uploaded", "processing", "ready")
        assert proxy.connections >= 2 + 2  # the API and tus clients, and one back per cut
        # Each cut costs at most the chunk in flight, never a restart from zero.
        assert proxy.upstream < size + 2 * 2 * 1024 * 1024 + 256 * 1024, (proxy.upstream, size)
        source = srv.data_dir / "storage" / "videos" / entry["videoId"] / "source"
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        assert digest == hashlib.sha256(big_clip.read_bytes()).hexdigest()
    finally:
        proxy.close()
        if entry:
            httpx.delete(f"{srv.url}/api/videos/{entry['videoId']}", headers=headers)
