"""Ready means playable, progress means the ladder (issue 19): one video, three surfaces.

A real ``vidhost serve`` (no embedded worker) answers; the worker is a ``TaskRunner`` of this
test process on the same database and storage, so the test decides when each part of the
ladder is encoded. A video uploaded by alice over ``POST /upload`` is also her Mux asset and
her Cloudflare video (docs/providers.md), so one upload is read through all three surfaces,
each by its real client: httpx on ``/api/videos/{id}/status``, the official mux-python SDK on
``GET /video/v1/assets/{id}``, the official ``cloudflare`` SDK on ``GET .../stream/{uid}``.

The owner's sockets (``/api/events``, ``/ws/{client_id}``, the video's status socket) listen
from the upload on and must carry the same figures.

A poller reads the three surfaces in rounds from the upload to the end of the ladder, while
the test encodes the plan, the first chunk, the audio (the video is ``ready``), then the
other chunks one at a time, letting the poller see each step. Every figure must be
non-decreasing, under 100 when the video first reads ready, and 100 only in rounds that
began after the last chunk started, with every planned segment of every rendition in storage.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import mux_python
import pytest
from cloudflare import Cloudflare
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, SECRET, auth
from tests.e2e.mux_helpers import access_token, sdk
from tests.integration.helpers import container
from tests.server import ServerProcess
from vidhost.app.container import Container
from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.http.auth.tokens import issue_token
from vidhost.processing.transcode import load_plan

pytestmark = pytest.mark.e2e

SEGMENT = 2.0
CHUNK = 8.0
WORKER = {
    "ladder_heights": [120, 96],
    "segment_seconds": SEGMENT,
    "chunk_seconds": CHUNK,
    "x264_preset": "ultrafast",
    "opening_segments": [],  # equal segments: the figures below
}
SERVER_ENV = {
    **AUTH_ENV,
    "VIDHOST_EMBEDDED_WORKER": "false",
    "VIDHOST_LADDER_HEIGHTS": "[120, 96]",
    "VIDHOST_SEGMENT_SECONDS": str(SEGMENT),
    "VIDHOST_OPENING_SEGMENTS": "[]",  # equal segments: the figures below
    "VIDHOST_CHUNK_SECONDS": str(CHUNK),
}
OWNER = "alice"


@dataclass
class Round:
    """One read of the three surfaces: when it began and ended, and what each said."""

    began: float
    ended: float = 0.0
    native: dict[str, Any] = field(default_factory=dict)
    mux: Any = None
    cloudflare: Any = None
    all_stored: bool | None = None
    """Checked right after a round in which some surface read 100."""


class Poller(threading.Thread):
    def __init__(self, server: ServerProcess, worker: Container, video_id: str) -> None:
        super().__init__(daemon=True)
        self.server, self.worker, self.video_id = server, worker, video_id
        self.rounds: list[Round] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.headers = auth(OWNER)
        self.assets = mux_python.AssetsApi(sdk(server.url, access_token(server, OWNER)))
        self.cf = Cloudflare(
            api_token=issue_token(SECRET, OWNER),
            base_url=f"{server.url}/client/v4",
            max_retries=0,
        )

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.rounds.append(self.read())
        except BaseException as exc:  # reported by the test thread
            self.error = exc

    def read(self) -> Round:
        r = Round(began=time.monotonic())
        got = httpx.get(
            f"{self.server.url}/api/videos/{self.video_id}/status",
            headers=self.headers,
            timeout=10,
        )
        assert got.status_code == 200, got.text
        r.native = got.json()
        r.mux = self.assets.get_asset(self.video_id).data
        r.cloudflare = self.cf.stream.get(identifier=self.video_id, account_id=OWNER)
        r.ended = time.monotonic()
        if 100 in figures(r).values():
            r.all_stored = every_segment_stored(self.worker, self.video_id)
        return r

    def rounds_after(self, count: int, timeout: float = 30) -> None:
        """Wait until ``count`` whole rounds began after now (each surface saw this moment)."""
        start = time.monotonic()
        deadline = start + timeout
        while time.monotonic() < deadline:
            if self.error is not None:
                raise self.error
            if len([r for r in self.rounds if r.began >= start]) >= count:
                return
            time.sleep(0.02)
        raise AssertionError("the poller stalled")


class SocketReader(threading.Thread):
    """Every JSON message of one WebSocket, with the time it arrived, until closed/stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.stop = threading.Event()
        self.ws = connect(url, additional_headers=auth(OWNER), open_timeout=10)

    def run(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while not self.stop.is_set():
                with contextlib.suppress(TimeoutError):
                    self.messages.append((time.monotonic(), json.loads(self.ws.recv(0.2))))

    def close(self) -> list[tuple[float, dict[str, Any]]]:
        self.stop.set()
        self.join(10)
        self.ws.close()
        return self.messages


def figures(r: Round) -> dict[str, float | None]:
    """Each surface's progress figure in one round (None: the surface shows none yet)."""
    pct = r.cloudflare.status.pct_complete if r.cloudflare.status else None
    return {
        "native": float(r.native["progress"]),
        "mux": float(r.mux.progress.progress),
        "cloudflare": float(pct) if pct is not None else None,
    }


def ready(r: Round) -> dict[str, bool]:
    return {
        "native": r.native["state"] == "ready",
        "mux": r.mux.status == "ready",
        "cloudflare": bool(r.cloudflare.ready_to_stream),
    }


def every_segment_stored(worker: Container, video_id: str) -> bool:
    plan = load_plan(worker.storage, video_id)
    for rendition in plan.rendition_names():
        for index in range(len(plan.segments)):
            try:
                worker.storage.stat(layout.segment_key(video_id, rendition, index))
            except FileNotFoundError:
                return False
    return True


@pytest.fixture
def split(tmp_path: Path) -> Iterator[tuple[ServerProcess, Container]]:
    data = tmp_path / "data"
    with container(data, **WORKER) as worker:
        server = ServerProcess(data, env=SERVER_ENV).start()
        try:
            yield server, worker
        finally:
            server.stop()


def test_progress_is_the_ladders_on_every_surface_and_reads_100_only_once_all_is_stored(
    split: tuple[ServerProcess, Container], tmp_path: Path
) -> None:
    server, worker = split
    # 30 s at 160x120: 15 segments of 2 s; chunk 0 is one segment, then 8 s chunks: 5 chunks
    clip = make_clip(tmp_path / "thirty.mp4", duration=30, width=160, height=120)
    ws = server.url.replace("http://", "ws://")
    events = SocketReader(ws + "/api/events")  # the owner's sockets, open before the upload
    client = SocketReader(ws + "/ws/c19")
    events.start()
    client.start()
    with open(clip, "rb") as fh:
        r = httpx.post(
            server.url + "/upload",
            files={"file": (clip.name, fh, "video/mp4")},
            data={"client_id": "c19"},
            headers=auth(OWNER),
            timeout=60,
        )
    assert r.status_code == 201, r.text
    video_id = r.json()["videoId"]
    status_socket = SocketReader(f"{ws}/video/{video_id}/status/stream")
    status_socket.start()
    poller = Poller(server, worker, video_id)
    poller.start()
    runner = worker.task_runner()
    try:
        poller.rounds_after(2)
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING  # the plan
        plan = load_plan(worker.storage, video_id)
        assert len(plan.chunks) >= 3 and len(plan.segments) == 15, plan.chunks
        poller.rounds_after(2)
        assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
        assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        assert worker.repo.get_video(video_id).state is VideoState.READY
        poller.rounds_after(2)
        last_started = None
        while True:  # one chunk at a time, the poller seeing each step
            left = [
                t
                for t in worker.repo.list_parts(video_id, [TaskKind.TRANSCODE_CHUNK])
                if t.status is not TaskStatus.COMPLETED
            ]
            if not left:
                break
            if len(left) == 1:
                last_started = time.monotonic()
            assert runner.run(video_id, "transcode_chunk", left[0].part) is TaskStatus.COMPLETED
            poller.rounds_after(2)
        transcode = worker.repo.get_task(video_id, TaskKind.TRANSCODE)
        assert transcode is not None and transcode.status is TaskStatus.COMPLETED
        assert last_started is not None
    finally:
        poller.stop.set()
        poller.join(30)
        on_events, on_client, on_status = (s.close() for s in (events, client, status_socket))
    if poller.error is not None:
        raise poller.error
    rounds = poller.rounds
    assert every_segment_stored(worker, video_id)

    for surface in ("native", "mux", "cloudflare"):
        seen = [(r, figures(r)[surface]) for r in rounds]
        values = [v for _, v in seen if v is not None]
        at_ready = figures(next(r for r in rounds if ready(r)[surface]))[surface]
        print(surface, sorted(set(values)), "at ready:", at_ready)
        assert values == sorted(values), (surface, values)  # never moves back
        assert at_ready is not None and at_ready < 100, (surface, at_ready)
        between = {v for v in values if 0 < v < 100}
        assert len(between) >= 3, (surface, values)  # it moves across the ladder
        assert values[-1] == 100, (surface, values)
        for r, v in seen:
            if r.ended < last_started:
                assert v is None or v < 100, (surface, v, "read 100 before the last chunk")
            if v == 100:
                assert r.all_stored, (surface, "100 with segments missing from storage")
        # once playable, always playable
        flags = [ready(r)[surface] for r in rounds]
        assert flags == sorted(flags), surface

    # The sockets carry the same figure, step by step: /api/events and /ws/{client_id} get
    # every step of the transcode task; the status socket closes at READY with that moment's.
    native = {float(r.native["progress"]) for r in rounds}
    for name, steps in (
        ("events", [(t, m) for t, m in on_events if m.get("type") == "progress"
                    and m["videoId"] == video_id and m["kind"] == "transcode"]),
        ("client", [(t, m) for t, m in on_client if m.get("type") == "status_update"
                    and m["file_id"] == video_id and m["process_type"] == "transcode"]),
    ):  # fmt: skip
        values = [float(m["progress"]) for _, m in steps]
        print(name, values)
        assert values == sorted(values) and values[-1] == 100, (name, values)
        assert steps[-1][1]["status"] == "completed", (name, steps[-1])
        for arrived, message in steps:
            assert arrived >= last_started or message["progress"] < 100, (name, values)
        assert native <= set(values) | {0.0}, (name, native, values)  # the same figures
    states = [m["state"] for _, m in on_status]
    assert states[-1] == "READY" and "PROCESSING" in states, states
    at_ready = float(on_status[-1][1]["progress"])
    assert at_ready < 100 and at_ready in native | {0.0}, (at_ready, native)

    # the vendor fields, as their SDKs parse them
    states = [r.mux.progress.state for r in rounds]
    order = ["ingesting", "transcoding", "completed"]
    assert [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s] == order, states
    for r in rounds:
        if r.mux.status == "ready" and r.mux.progress.state != "completed":
            assert r.mux.progress.state == "transcoding" and r.mux.progress.progress < 100
        pct = r.cloudflare.status.pct_complete
        assert pct is None or isinstance(pct, str)
    final = rounds[-1]
    assert final.mux.status == "ready" and final.mux.progress.progress == 100
    assert final.cloudflare.status.pct_complete == "100.000000"
    assert final.cloudflare.ready_to_stream is True
    (task,) = [t for t in final.native["tasks"] if t["type"] == "transcode"]
    assert task["status"] == "completed" and final.native["progress"] == 100
    # the native status never says 100 while its own transcode task is not completed
    for r in rounds:
        (task,) = [t for t in r.native["tasks"] if t["type"] == "transcode"] or [None]
        if r.native["progress"] == 100:
            assert task is not None and task["status"] == "completed", r.native
