"""Ready means playable (ADR 0061): a video is served while its ladder is still encoding.

A real ``vidhost serve`` (no embedded worker) serves; the worker is a ``TaskRunner`` of this
test process on the same database and storage, so the test decides when chunks may be
encoded: once the first chunk and the audio are stored the video is ``ready``, and every
other segment is encoded when a player asks for it (or ahead of it). The clip is 16-20 s of
320x180 with a 440 Hz tone, 2 s segments, 4 s chunks (the first one segment); its picture is
a grey whose level is the second it shows (16 + 10 x floor(t)), so a player's frame tells its
own time.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.delivery.test_browser_playback import JS
from tests.http_server import static_files
from tests.integration.helpers import container, upload
from tests.server import ServerProcess
from vidhost.app.container import Container
from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.media.binaries import ffmpeg_path
from vidhost.processing.runner import TaskRunner
from vidhost.processing.transcode import load_plan
from vidhost.processing.transcode.config import QUALITY_KEY

pytestmark = pytest.mark.e2e

SEGMENT = 2.0
WORKER = {
    "ladder_heights": [180, 120],
    "segment_seconds": SEGMENT,
    "chunk_seconds": 4.0,
    "x264_preset": "ultrafast",
    "opening_segments": [],  # uniform 2 s segments: the indices below
}
WAIT = 6
SERVER_ENV = {
    "VIDHOST_AUTH": "none",
    "VIDHOST_EMBEDDED_WORKER": "false",
    "VIDHOST_LADDER_HEIGHTS": "[180, 120]",
    "VIDHOST_SEGMENT_SECONDS": str(SEGMENT),
    "VIDHOST_CHUNK_SECONDS": "4",
    "VIDHOST_OPENING_SEGMENTS": "[]",
    "VIDHOST_SEGMENT_WAIT_SECONDS": str(WAIT),
}


def timed_clip(path: Path, duration: float) -> Path:
    """A grey whose luma is 16 + 10 x the second shown, and a 440 Hz tone."""
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"color=c=black:s=320x180:r=25:d={duration}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={duration}",
         "-vf", "geq=lum='16+10*floor(T)':cb=128:cr=128,format=yuv420p",
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "64k",
         "-t", str(duration), str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


@dataclass
class Split:
    server: ServerProcess
    worker: Container
    tier: str = "basic"
    """The uploads' quality tier (ADR 0046)."""

    def ready_early(self, clip: Path) -> str:
        """Upload, plan, encode the first chunk and the audio: ``ready``, the rest not."""
        c = self.worker
        video_id = upload(c, clip, video_quality=self.tier)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        quality = load_plan(c.storage, video_id).extra[QUALITY_KEY]
        assert quality["tier"] == self.tier
        assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
        assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        assert c.repo.get_video(video_id).state is VideoState.READY
        assert self.transcode(video_id).status is TaskStatus.PROCESSING
        return video_id

    def transcode(self, video_id: str) -> Any:
        return self.worker.repo.get_task(video_id, TaskKind.TRANSCODE)

    def chunk(self, video_id: str, part: int) -> Any:
        return self.worker.repo.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=part)

    def segment_url(self, video_id: str, name: str) -> str:
        return f"{self.server.url}/stream/{video_id}/segment/{name}"


def server_log(server: ServerProcess) -> str:
    return server.log_path.read_text(errors="replace")


def assert_quiet_log(server: ServerProcess) -> None:
    """The API process's whole log: no traceback (waits, 503s, 404s and 409s are routine),
    and every coded refusal one INFO line (``refused METHOD PATH STATUS CODE``)."""
    text = server_log(server)
    assert "Traceback" not in text, text[-5000:]
    for line in text.splitlines():
        if " refused " in line:
            assert " INFO vidhost.http.errors " in line, line
            assert re.search(
                r" refused (GET|HEAD|POST|PUT|DELETE|WEBSOCKET) /\S* \d{3} \w+$", line
            ), line
    errors = [line for line in text.splitlines() if " ERROR " in line]
    assert errors == [], errors


def refusal_lines(server: ServerProcess, path: str) -> list[str]:
    return [line for line in server_log(server).splitlines() if f" refused GET {path} " in line]


def encode_the_rest(runner: TaskRunner, video_id: str) -> threading.Thread:
    """A worker taking the video's chunk messages one after another (each claims the chunk
    wanted most at that moment), until none is left."""

    def work() -> None:
        while runner.run(video_id, TaskKind.TRANSCODE_CHUNK.value, 0) is not None:
            pass

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


@pytest.fixture(params=["local", "s3-proxy", "s3-redirect"])
def split(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Split]:
    env = dict(SERVER_ENV)
    if request.param.startswith("s3-"):
        s3 = request.getfixturevalue("seaweed").env()
        for name, value in s3.items():
            monkeypatch.setenv(name, value)
        env |= {**s3, "VIDHOST_S3_STREAM_MODE": request.param.removeprefix("s3-")}
    data = tmp_path / "data"
    with container(data, **WORKER) as worker:
        server = ServerProcess(data, env=env).start()
        try:
            yield Split(server, worker)
        finally:
            server.stop()
        assert_quiet_log(server)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return timed_clip(tmp_path_factory.mktemp("clip") / "timed.mp4", 16)


def test_a_segment_not_encoded_yet_is_encoded_next_and_served(split: Split, clip: Path) -> None:
    video_id = split.ready_early(clip)
    manifest = httpx.get(f"{split.server.url}/stream/{video_id}/manifest")
    assert manifest.status_code == 200, manifest.text
    assert video_id in httpx.get(f"{split.server.url}/stream/ready").json()
    # 8 segments: chunk 0 = [0], 1 = [1, 2], 2 = [3, 4], 3 = [5, 6], 4 = [7].
    name = layout.segment_name("180p", 5)
    got: dict[str, httpx.Response] = {}
    waiting = threading.Thread(
        target=lambda: got.update(
            r=httpx.get(split.segment_url(video_id, name), follow_redirects=True, timeout=60)
        )
    )
    waiting.start()
    for _ in range(100):  # the request has stamped its chunk
        if split.chunk(video_id, 3).requested_at is not None:
            break
        waiting.join(0.05)
    assert split.chunk(video_id, 3).requested_at is not None
    # A message sent for chunk 1 arrives: the claim takes the chunk a player waits for.
    runner = split.worker.task_runner()
    status = runner.run(video_id, "transcode_chunk", 1)
    assert runner.claimed_part(1) == 3
    # chunk 3's asked rung first; its other rungs may give the worker back to chunk 4, which
    # the request stamped ahead of the reader and no worker has (ADR 0064): pending again
    assert split.chunk(video_id, 3).status is status
    assert status is TaskStatus.COMPLETED or (
        status is TaskStatus.PENDING and split.chunk(video_id, 3).attempts == 0
    )
    assert split.chunk(video_id, 1).status is TaskStatus.PENDING
    waiting.join(60)
    r = got["r"]
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "video/iso.segment" and r.content[4:8] == b"styp"
    assert split.transcode(video_id).status is TaskStatus.PROCESSING  # chunks 1, 2, 4 to go

    # Nobody encodes chunk 4: after the wait, 503 with Retry-After and a stable code.
    r = httpx.get(split.segment_url(video_id, layout.segment_name("120p", 7)), timeout=60)
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "segment_not_ready"
    assert int(r.headers["Retry-After"]) > 0
    assert split.chunk(video_id, 4).requested_at is not None
    # Not in the plan: 404 at once, as before.
    r = httpx.get(split.segment_url(video_id, layout.segment_name("180p", 8)), timeout=60)
    assert r.status_code == 404
    assert httpx.get(split.segment_url(video_id, layout.segment_name("audio", 7))).status_code in (
        200,
        302,
    )
    # Other routine refusals: an unknown video, a video not ready yet (409).
    unknown = f"/stream/{'0' * 32}/manifest"
    assert httpx.get(split.server.url + unknown).status_code == 404
    waiting = upload(split.worker, clip)  # stored, never processed here
    assert httpx.get(f"{split.server.url}/stream/{waiting}/manifest").status_code == 409

    # Each refusal is one INFO line with its status and code; no traceback anywhere (the
    # fixture checks the whole log when the server has stopped).
    def one_line(path: str, tail: str) -> None:
        lines = refusal_lines(split.server, path)
        assert len(lines) == 1 and lines[0].endswith(tail), (path, lines)
        assert " INFO " in lines[0], lines

    seg = f"/stream/{video_id}/segment/"
    one_line(seg + layout.segment_name("120p", 7), " 503 segment_not_ready")
    one_line(seg + layout.segment_name("180p", 8), " 404 segment_not_found")
    one_line(unknown, " 404 video_not_found")
    one_line(f"/stream/{waiting}/manifest", " 409 not_ready")
    assert "Traceback" not in server_log(split.server)


# --- a real player (hls.js in Debian's Chromium) ---------------------------------------------


@pytest.fixture(params=["basic", "plus"])
def browser_site(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Split, str]]:
    """The API process and a worker of this test; the worker's tier (``video_quality``) is
    the parameter: ``plus`` chunks differ in rate control (capped CRF after the title's
    probe, ADR 0046) and must play through as seamlessly."""
    pages = static_files(JS)
    data = tmp_path / "data"
    with container(data, **WORKER) as worker:
        server = ServerProcess(data, env=SERVER_ENV).start()
        try:
            yield Split(server, worker, request.param), f"{pages.base_url}/player.html"
        finally:
            server.stop()
            pages.close()
        assert_quiet_log(server)


def play(page: str, manifest: str, seek: float | None, on_event: Any) -> dict[str, Any]:
    """Run the player; ``on_event(name)`` at each moment it reports; its result."""
    args = ["node", str(JS / "hls_progressive.mjs"), page, manifest]
    if seek is not None:
        args.append(str(seek))
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    result: dict[str, Any] = {}
    try:
        for line in proc.stdout:
            message = json.loads(line)
            if "event" in message:
                on_event(message["event"])
            else:
                result = message
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    return result


def test_hls_js_starts_while_the_ladder_encodes_and_plays_to_the_end_at_1x(
    browser_site: tuple[Split, str], tmp_path: Path
) -> None:
    split, page = browser_site
    duration = 20.0
    video_id = split.ready_early(timed_clip(tmp_path / "long.mp4", duration))
    at_play: list[TaskStatus] = []
    threads: list[threading.Thread] = []

    def on_event(name: str) -> None:
        if name == "manifest":  # the worker goes on with the ladder as the player starts
            threads.append(encode_the_rest(split.worker.task_runner(), video_id))
        elif name == "playing":
            at_play.append(split.transcode(video_id).status)

    result = play(page, f"{split.server.url}/stream/{video_id}/manifest", None, on_event)
    for t in threads:
        t.join(60)
    print({k: v for k, v in result.items() if k != "fragments"}, at_play)
    assert result["ok"] and result["ended"], result
    assert at_play == [TaskStatus.PROCESSING], "playback began after the ladder was stored"
    assert abs(result["duration"] - duration) < 0.5, result
    assert result["currentTime"] >= result["duration"] - 0.2
    assert result["playbackRate"] == 1
    assert result["playSeconds"] >= 0.95 * duration, result  # it really played at 1x
    assert result["stallSeconds"] < 0.1 * duration, result
    assert split.transcode(video_id).status is TaskStatus.COMPLETED


def test_a_seek_into_a_region_not_encoded_yet_plays_the_right_picture(
    browser_site: tuple[Split, str], clip: Path
) -> None:
    split, page = browser_site
    video_id = split.ready_early(clip)
    seek = 11.0  # segment 5, chunk 3: nothing after the first chunk is encoded
    for rendition in ("180p", "120p"):
        with pytest.raises(FileNotFoundError):
            split.worker.storage.stat(layout.segment_key(video_id, rendition, 5))
    threads: list[threading.Thread] = []

    def on_event(name: str) -> None:
        if name == "seeking":  # a worker becomes free just as the player seeks
            threads.append(encode_the_rest(split.worker.task_runner(), video_id))

    result = play(page, f"{split.server.url}/stream/{video_id}/manifest", seek, on_event)
    for t in threads:
        t.join(60)
    assert result["ok"], result
    picture = result["picture"]
    assert picture["time"] >= seek + 1.4, result
    second = (picture["red"] * 219 / 255) / 10  # full-range red of luma 16 + 10 x second
    assert abs(second - int(picture["time"])) <= 0.6, (second, picture)
    loaded = [f["sn"] for f in result["fragments"] if f["type"] == "main"]
    assert 5 in loaded and not {1, 2, 3, 4} & set(loaded), loaded  # from the seek on
