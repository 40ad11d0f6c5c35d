"""Untrusted media never opens anything else (issue 14, ADR 0051), over a real server.

A corpus of hostile files (``tests/crafted.py``) is uploaded both ways (``POST /upload`` and a
signed PUT). Each is refused at upload with a stable code, keeps no bytes in storage, never
makes the server connect to the local listener, and never shows the canary. A source swapped
after ``ready`` is refused: a second PUT on the URL gets 409, and an object replaced behind
vidhost's back (what a second S3 PUT does) is never rendered.
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from tests import crafted
from tests.clips import make_clip
from tests.e2e.helpers import wait_for_ladder, wait_for_state
from tests.http_server import Listener
from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token

pytestmark = pytest.mark.e2e
SECRET = "e2e-untrusted-media-secret-0123456789abcdef"
ALICE = {"Authorization": f"Bearer {issue_token(SECRET, 'alice')}"}
MALLORY = {"Authorization": f"Bearer {issue_token(SECRET, 'mallory')}"}


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener(404)
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("untrusted-e2e"),
        env={
            "VIDHOST_JWT_SECRET": SECRET,
            "VIDHOST_LADDER_HEIGHTS": "[240]",
            "VIDHOST_WORKER_CONCURRENCY": "1",
            "VIDHOST_MAX_CONCURRENT_RENDERS": "1",
            "VIDHOST_RENDER_QUEUE_SECONDS": "0.3",
            "VIDHOST_UPLOAD_WATCH_INTERVAL": "0.5",
        },
    ).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("untrusted-clips")
    return {
        "victim": make_clip(d / "victim.mp4", duration=2.0, audio=False),
        "three": make_clip(d / "three.mp4", duration=3.0, fps=30, width=160, height=90),
        "long": make_clip(d / "long.mp4", duration=10.0, width=640, height=360, audio=False),
    }


@pytest.fixture(scope="module")
def victim(server: ServerProcess, clips: dict[str, Path]) -> str:
    """Another user's ready video: a relative DASH BaseURL aims at its first segment."""
    video_id = _post_upload(server, clips["victim"], ALICE).json()["videoId"]
    wait_for_state(server.url, video_id, ALICE, {"ready"})
    return str(video_id)


@pytest.fixture(scope="module")
def corpus(
    tmp_path_factory: pytest.TempPathFactory, listener: Listener, victim: str
) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("crafted")
    canary_clip, _ = crafted.canary_files(d / "canary")
    corpus = {
        "dash": crafted.dash_manifest(
            d / "manifest.mpd", canary_clip, f"../{victim}/hls/240p_00000.ts"
        ),
        "hls": crafted.hls_playlist(d / "playlist.m3u8", canary_clip, listener.url),
        "ffconcat": crafted.ffconcat_self_include(d / "source"),
        "avi_playlist": crafted.avi_with_playlist(d / "embedded.avi", canary_clip, listener.url),
        "pixel_bomb": crafted.pixel_bomb(d / "pixels.mkv"),
        "duration_bomb": crafted.duration_bomb(d / "day.mkv"),
    }
    assert corpus["pixel_bomb"].stat().st_size < 1024 * 1024  # tiny file, 256 Mpx frame
    assert corpus["duration_bomb"].stat().st_size < 64 * 1024
    return corpus


EXPECTED = {
    "dash": "not_a_video",
    "hls": "not_a_video",
    "ffconcat": "not_a_video",
    "avi_playlist": "not_a_video",
    "pixel_bomb": "resolution_too_large",
    "duration_bomb": "duration_too_long",
}


def _post_upload(server: ServerProcess, path: Path, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        server.url + "/upload",
        files={"file": (path.name, path.read_bytes(), "video/mp4")},
        headers=headers,
        timeout=60,
    )


def _init(server: ServerProcess) -> dict[str, Any]:
    r = httpx.post(f"{server.url}/api/videos/init", json={}, headers=MALLORY)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    if body["uploadUrl"].startswith("/"):
        body["uploadUrl"] = server.url + body["uploadUrl"]
    return body


def _source(server: ServerProcess, video_id: str) -> Path:
    return server.data_dir / "storage" / "videos" / video_id / "source"


def _assert_clean_error(server: ServerProcess, r: httpx.Response, code: str) -> None:
    assert r.status_code == 400, r.text
    assert r.json()["code"] == code
    assert crafted.CANARY_TEXT not in r.text
    assert str(server.data_dir) not in r.text and "/tmp/" not in r.text


def _server_fds(server: ServerProcess) -> int:
    assert server.proc is not None
    return len(os.listdir(f"/proc/{server.proc.pid}/fd"))


def _server_peak_rss_mb(server: ServerProcess) -> int:
    assert server.proc is not None
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    line = next(ln for ln in status.splitlines() if ln.startswith("VmHWM:"))
    return int(line.split()[1]) // 1024


def test_self_including_concat_does_not_touch_the_api_process(
    server: ServerProcess, corpus: dict[str, Path]
) -> None:
    """Probed in the API process, these 33 bytes open files until EMFILE and grow its memory."""
    fds, peak = _server_fds(server), _server_peak_rss_mb(server)
    for _ in range(3):  # stored as .../source, so "file source" names itself
        init = _init(server)
        r = httpx.put(init["uploadUrl"], content=corpus["ffconcat"].read_bytes(), timeout=60)
        assert r.status_code == 400 and r.json()["code"] == "not_a_video"
    assert _server_fds(server) <= fds + 8
    assert _server_peak_rss_mb(server) < peak + 64
    assert httpx.get(server.url + "/healthz").status_code == 200


@pytest.mark.parametrize("name", list(EXPECTED))
def test_crafted_upload_is_refused_and_leaves_nothing(
    server: ServerProcess, corpus: dict[str, Path], listener: Listener, name: str
) -> None:
    fds_before = _server_fds(server)
    # POST /upload: refused before anything is stored.
    _assert_clean_error(server, _post_upload(server, corpus[name], MALLORY), EXPECTED[name])

    # A signed PUT: the object lands first, then it is refused, failed and deleted.
    init = _init(server)
    put = httpx.put(init["uploadUrl"], content=corpus[name].read_bytes(), timeout=60)
    _assert_clean_error(server, put, EXPECTED[name])
    status = wait_for_state(server.url, init["videoId"], MALLORY, {"failed"}, details=True)
    assert status["error"]["code"] == EXPECTED[name]
    assert str(server.data_dir) not in str(status)
    assert not _source(server, init["videoId"]).exists()  # no rejected bytes kept
    thumb = httpx.get(f"{server.url}/api/videos/{init['videoId']}/thumbnail.jpg", headers=MALLORY)
    assert thumb.status_code == 409 and thumb.json()["code"] == "not_ready"

    assert listener.connections == 0
    assert _server_fds(server) <= fds_before + 8  # the probe ran elsewhere: no fds pile up


def _held_open_put(url: str, head: bytes, tail: bytes, go: threading.Event) -> httpx.Response:
    def body() -> Iterator[bytes]:
        yield head
        go.wait(30)
        yield tail

    return httpx.put(url, content=body(), timeout=60)


def test_signed_url_takes_one_upload_and_the_source_stays(
    server: ServerProcess, clips: dict[str, Path], corpus: dict[str, Path]
) -> None:
    init = _init(server)
    data = clips["victim"].read_bytes()
    go = threading.Event()
    result: dict[str, httpx.Response] = {}
    first = threading.Thread(
        target=lambda: result.update(
            first=_held_open_put(init["uploadUrl"], data[:1000], data[1000:], go)
        )
    )
    first.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the first PUT holds the claim
        status = httpx.get(
            f"{server.url}/api/videos/{init['videoId']}/status", headers=MALLORY
        ).json()
        if status["state"] == "uploading":
            break
        time.sleep(0.05)
    # A second PUT while the first is held open: refused, nothing written.
    swap = httpx.put(init["uploadUrl"], content=corpus["dash"].read_bytes(), timeout=30)
    assert swap.status_code == 409 and swap.json()["code"] == "upload_in_progress"
    go.set()
    first.join(30)
    assert result["first"].status_code == 200, result["first"].text
    wait_for_state(server.url, init["videoId"], MALLORY, {"ready"})
    # And after ready: refused again, the stored source is still the first upload.
    again = httpx.put(init["uploadUrl"], content=corpus["dash"].read_bytes(), timeout=30)
    assert again.status_code == 409 and again.json()["code"] == "upload_complete"
    assert _source(server, init["videoId"]).read_bytes() == data


def test_interrupted_put_can_be_retried(server: ServerProcess, clips: dict[str, Path]) -> None:
    init = _init(server)

    def broken() -> Iterator[bytes]:
        yield b"\x00" * 1000
        raise RuntimeError("client gives up")

    with pytest.raises(Exception):  # noqa: B017 - the client's own failure
        httpx.put(init["uploadUrl"], content=broken(), timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = httpx.put(init["uploadUrl"], content=clips["victim"].read_bytes(), timeout=30)
        if r.status_code != 409:
            break
        time.sleep(0.2)  # the server has not noticed the broken request yet
    assert r.status_code == 200, r.text


def test_source_replaced_behind_vidhosts_back_is_never_rendered(
    server: ServerProcess, clips: dict[str, Path], corpus: dict[str, Path], victim: str
) -> None:
    """What a second S3 PUT does: the object changes after ready. Renders refuse it."""
    video_id = _post_upload(server, clips["victim"], MALLORY).json()["videoId"]
    # The whole ladder stored first: a chunk still to encode would (rightly) refuse the
    # changed source and fail the video (ADR 0051); here the renders are what is tested.
    assert wait_for_ladder(server.url, video_id, MALLORY)["state"] == "ready"
    source = _source(server, video_id)
    source.write_bytes(corpus["dash"].read_bytes())  # replaced in storage (new ETag)
    base = f"{server.url}/api/videos/{video_id}"
    for path in ("thumbnail.jpg?time=0.5", "storyboard.jpg", "preview.gif?duration=1"):
        r = httpx.get(f"{base}/{path}", headers=MALLORY, timeout=60)
        assert r.status_code == 409, (path, r.status_code)
        assert r.json()["code"] == "source_changed"
        assert str(server.data_dir) not in r.text


def test_thumbnail_at_any_time_up_to_the_end(server: ServerProcess, clips: dict[str, Path]) -> None:
    video_id = _post_upload(server, clips["three"], ALICE).json()["videoId"]
    wait_for_state(server.url, video_id, ALICE, {"ready"})
    for t, fmt in (("2.96", "jpg"), ("2.99", "png"), ("3", "webp"), ("3", "jpg"), ("0", "jpg")):
        r = httpx.get(
            f"{server.url}/api/videos/{video_id}/thumbnail.{fmt}?time={t}",
            headers=ALICE,
            timeout=60,
        )
        assert r.status_code == 200, (t, r.text)
        with av.open(io.BytesIO(r.content)) as image:
            frame = next(image.decode(video=0))
            assert (frame.width, frame.height) == (160, 90)
    past = httpx.get(f"{server.url}/api/videos/{video_id}/thumbnail.jpg?time=3.5", headers=ALICE)
    assert past.status_code == 400 and past.json()["code"] == "bad_time"


def test_concurrent_renders_are_bounded(server: ServerProcess, clips: dict[str, Path]) -> None:
    video_id = _post_upload(server, clips["long"], ALICE).json()["videoId"]
    wait_for_state(server.url, video_id, ALICE, {"ready"})
    base = f"{server.url}/api/videos/{video_id}"
    slow: dict[str, httpx.Response] = {}
    worker = threading.Thread(
        target=lambda: slow.update(
            r=httpx.get(
                f"{base}/preview.gif?start=0&duration=10&width=640&fps=30",
                headers=ALICE,
                timeout=120,
            )
        )
    )
    worker.start()
    busy: httpx.Response | None = None
    deadline = time.monotonic() + 20
    width = 64
    while worker.is_alive() and time.monotonic() < deadline:
        width += 2  # a new rendition each time: never served from the cache
        r = httpx.get(f"{base}/thumbnail.jpg?time=1.5&width={width}", headers=ALICE, timeout=30)
        if r.status_code == 503:
            busy = r
            break
        time.sleep(0.05)
    worker.join(120)
    assert slow["r"].status_code == 200
    assert busy is not None, "a second render ran while the only slot was taken"
    assert busy.json()["code"] == "render_busy"
    assert int(busy.headers["Retry-After"]) >= 1
    # Once the slot is free the same request renders.
    r = httpx.get(f"{base}/thumbnail.jpg?time=1.5&width={width}", headers=ALICE, timeout=60)
    assert r.status_code == 200
