"""Chunk scheduling (ADRs 0062, 0064): which rungs a chunk's pass encodes, at which nice, and
what a player's request changes while it runs. Split from ``test_chunked_transcode.py`` so the
two long files run on different pytest-xdist workers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clips import make_clip
from tests.integration.helpers import container
from tests.integration.helpers import upload as upload_local
from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.processing.transcode import load_plan

FPS = 25


@contextlib.contextmanager
def _player(*, when: Callable[[], bool], then: Callable[[], None]) -> Iterator[None]:
    """A player in a thread beside the block: once ``when()`` holds, it does ``then()``."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if when():
                then()
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield
    finally:
        watcher.join(timeout=60)


def _passes(caplog: pytest.LogCaptureFixture, video_id: str) -> list[str]:
    """The first chunk's ffmpeg passes, as logged: ``"<rungs> (nice <n>)"``."""
    head = f"chunk 0 of {video_id}: "
    return [r.getMessage()[len(head) :] for r in caplog.records if r.getMessage().startswith(head)]


def test_the_first_chunk_encodes_its_start_rung_then_the_rung_a_player_asks_for(
    clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ADR 0062: the lowest rung alone (ready as soon as it and the audio's start are stored),
    then the rung of the request the on-demand path records, alone, then the rest together
    at background priority; later chunks run at background priority unless asked for."""
    caplog.set_level(logging.INFO, logger="vidhost.processing.transcode")
    with container(
        tmp_path / "data", ladder_heights=[180, 144, 120], chunk_seconds=2.0, segment_seconds=1.0
    ) as c:
        video_id = upload_local(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        assert c.repo.get_video(video_id).state is VideoState.PROCESSING  # no start rung yet
        asked: dict[str, Any] = {}

        def ask_180p() -> None:  # a player, as soon as the video is ready
            prefix = layout.hls_prefix(video_id)
            asked["stored"] = {o.key.rsplit("/", 1)[-1] for o in c.storage.list(prefix)}
            asked["ok"] = c.repo.request_part(video_id, TaskKind.TRANSCODE_CHUNK, 0, "180p")

        def ready() -> bool:
            video = c.repo.get_video(video_id)
            return video is not None and video.state is VideoState.READY

        with _player(when=ready, then=ask_180p):
            assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
        assert asked["ok"]
        # ready with the start rung's first segment, before any other rung of it
        assert "120p_00000.m4s" in asked["stored"]
        assert not {"180p_00000.m4s", "144p_00000.m4s"} & asked["stored"]
        passes = _passes(caplog, video_id)
        # the start, the other rungs' init segments (one frame each), the asked rung, the rest
        assert passes == [
            "120p (nice 0)",
            "init segments of 144p,180p (nice 0)",
            "180p (nice 0)",
            "144p (nice 19)",
        ], passes
        for rung in ("180p", "144p", "120p"):
            assert c.storage.stat(layout.hls_prefix(video_id) + f"{rung}_00000.m4s").size > 0
        # a later chunk nobody asked for yields the cores; one a player asked for does not
        assert c.repo.request_part(video_id, TaskKind.TRANSCODE_CHUNK, 2, "144p")
        assert runner.run(video_id, "transcode_chunk", 1) is TaskStatus.COMPLETED
        assert runner.claimed_part(1) == 2
        assert runner.run(video_id, "transcode_chunk", 1) is TaskStatus.COMPLETED
        assert runner.claimed_part(1) == 3  # ahead of the playhead (ADR 0061)
        later = [
            r.getMessage()
            for r in caplog.records
            if r.getMessage().startswith(("chunk 2 of", "chunk 3 of"))
        ]
        assert later == [  # the asked rung alone first, then the others (ADR 0064)
            f"chunk 2 of {video_id}: 144p (nice 0)",
            f"chunk 2 of {video_id}: 180p,120p (nice 19)",
            f"chunk 3 of {video_id}: 180p,144p,120p (nice 19)",
        ], later


def test_an_opening_chunk_encodes_the_start_rung_and_the_likely_start_rung_together(
    clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ADR 0063: a 1 s opening chunk encodes the lowest rung and the rung nearest 720p in one
    pass (one decode), so a player that starts there finds it stored at ready; the rest as
    before (the rung asked for, then the others in the background)."""
    caplog.set_level(logging.INFO, logger="vidhost.processing.transcode")
    settings = {
        "ladder_heights": [180, 144, 120],
        "chunk_seconds": 4.0,
        "segment_seconds": 2.0,
        "opening_segments": [1.0],
    }
    with container(tmp_path / "data", **settings) as c:
        video_id = upload_local(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        plan = load_plan(c.storage, video_id)
        assert plan.segment_duration(plan.segments[0]) == 1.0 and plan.chunks[0].segment_count == 1
        assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        seen: dict[str, Any] = {}

        def ready() -> bool:
            video = c.repo.get_video(video_id)
            return video is not None and video.state is VideoState.READY

        def look() -> None:
            prefix = layout.hls_prefix(video_id)
            seen["stored"] = {o.key.rsplit("/", 1)[-1] for o in c.storage.list(prefix)}

        def rest_started() -> bool:
            return "144p (nice 19)" in _passes(caplog, video_id)

        def look_again() -> None:  # 144p's init is there before any 144p segment
            prefix = layout.hls_prefix(video_id)
            seen["rest"] = {o.key.rsplit("/", 1)[-1] for o in c.storage.list(prefix)}

        with _player(when=ready, then=look), _player(when=rest_started, then=look_again):
            assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
        assert {"120p_00000.m4s", "180p_00000.m4s", "180p_init.mp4"} <= seen["stored"]
        assert "144p_00000.m4s" not in seen["stored"]
        assert "144p_init.mp4" in seen["rest"] and "144p_00000.m4s" not in seen["rest"]
        assert _passes(caplog, video_id) == [
            "120p,180p (nice 0)",
            "init segments of 144p (nice 0)",
            "144p (nice 19)",
        ]


def test_a_request_during_the_first_chunks_rest_stops_it_and_takes_its_rung_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ADR 0062: nobody asked within a second of ready, so the other rungs are encoded
    together at background priority; a request for one of them stops that pass, the asked
    rung is encoded alone, then the rest."""
    caplog.set_level(logging.INFO, logger="vidhost.processing.transcode")
    source = make_clip(tmp_path / "hd.mp4", duration=6, width=1280, height=720, fps=25)
    settings = {
        "ladder_heights": [720, 480, 240],
        "segment_seconds": 4.0,
        "opening_segments": [],  # a 4 s first chunk: rung by rung (ADR 0062)
        "x264_preset": "slow",
    }
    with container(tmp_path / "data", **settings) as c:
        video_id = upload_local(c, source)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        rest = f"chunk 0 of {video_id}: 480p,720p (nice 19)"
        asked: list[bool] = []

        def ask_720p() -> None:  # a player, a moment after the rest started
            time.sleep(0.3)
            asked.append(c.repo.request_part(video_id, TaskKind.TRANSCODE_CHUNK, 0, "720p"))

        def rest_started() -> bool:
            return any(r.getMessage() == rest for r in list(caplog.records))

        with _player(when=rest_started, then=ask_720p):
            assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
        assert asked == [True]
        messages = [r.getMessage() for r in caplog.records if video_id in r.getMessage()]
        passes = _passes(caplog, video_id)
        assert passes == [
            "240p (nice 0)",
            "init segments of 480p,720p (nice 0)",
            "480p,720p (nice 19)",
            "720p (nice 0)",
            "480p (nice 19)",
        ]
        assert (
            f"transcode_chunk 0 of {video_id}: a player asked for 720p; it goes first" in messages
        )
        for rung in ("720p", "480p", "240p"):
            assert c.storage.stat(layout.hls_prefix(video_id) + f"{rung}_00000.m4s").size > 0


def _nice_of_ffmpeg(marker: str) -> list[int]:
    """Nice values of the running ffmpeg processes whose command line contains ``marker``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if marker in cmdline and "ffmpeg" in cmdline:
            found.append(int(stat.rsplit(")", 1)[1].split()[16]))  # field 19: nice
    return found


@contextlib.contextmanager
def _hd_started(tmp_path: Path, *, chunk_seconds: float) -> Iterator[tuple[Any, str, Any]]:
    """A 16 s 720p clip (rungs 720p, 480p; x264 slow, so a chunk takes a few seconds; 4 s
    segments, no opening segments), its plan, audio and first chunk done: (container, video
    id, task runner)."""
    source = make_clip(tmp_path / "hd.mp4", duration=16, width=1280, height=720, fps=25)
    settings = {
        "ladder_heights": [720, 480],
        "segment_seconds": 4.0,
        "chunk_seconds": chunk_seconds,
        "x264_preset": "slow",
        "opening_segments": [],
    }
    with container(tmp_path / "data", **settings) as c:
        video_id = upload_local(c, source)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
        yield c, video_id, runner


def _background_chunk(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    *,
    ask_at: float,
    rung: str,
) -> tuple[str, dict[str, list[int]], list[str]]:
    """Chunk 1 (8 s) of a 16 s 720p clip (rungs 720p, 480p; x264 slow, so it takes a few
    seconds), claimed while nobody asked for it; a reader asks for ``rung`` once the pass has
    reported ``ask_at`` % done (0: as the pass starts). The video id, the nice values of its
    ffmpeg before and after the request, and chunk 1's log lines."""
    caplog.set_level(logging.INFO, logger="vidhost.processing.transcode")
    with _hd_started(tmp_path, chunk_seconds=8.0) as (c, video_id, runner):  # 4, 8, 4 s
        background = f"chunk 1 of {video_id}: 720p,480p (nice 19)"
        promoted = f"transcode_chunk 1 of {video_id}: a reader waits, nice 0"
        seen: dict[str, list[int]] = {}

        def started() -> bool:
            if not any(r.getMessage() == background for r in list(caplog.records)):
                return False
            if ask_at == 0:
                return True  # asked as the pass starts: its first look at the requests sees it
            row = c.repo.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=1)
            running = _nice_of_ffmpeg(f"chunk-{video_id}-1-") == [19]  # not its launcher
            return running and row is not None and row.progress >= ask_at

        def ask() -> None:  # a reader reaches chunk 1 while it encodes in the background
            marker = f"chunk-{video_id}-1-"
            seen["before"] = _nice_of_ffmpeg(marker)
            assert c.repo.request_part(video_id, TaskKind.TRANSCODE_CHUNK, 1, rung)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if any(
                    r.getMessage() == promoted or f"{rung} (nice 0)" in r.getMessage()
                    for r in list(caplog.records)
                ):
                    break
                time.sleep(0.05)
            while time.monotonic() < deadline:  # a stopped pass's ffmpeg may still be ending
                seen["after"] = _nice_of_ffmpeg(marker)
                if seen["after"] == [0]:
                    break
                time.sleep(0.05)

        with _player(when=started, then=ask):
            assert runner.run(video_id, "transcode_chunk", 1) is TaskStatus.COMPLETED
        for name in ("720p_00002.m4s", "480p_00002.m4s"):
            assert c.storage.stat(layout.hls_prefix(video_id) + name).size > 0
    head = f"chunk 1 of {video_id}: "
    lines = [
        r.getMessage().replace(f"transcode_{head}", "").replace(head, "")
        for r in caplog.records
        if r.getMessage().startswith((head, f"transcode_chunk 1 of {video_id}: "))
    ]
    return video_id, seen, lines


def test_a_background_chunk_a_reader_asks_for_late_is_raised_to_nice_0(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ADR 0064: a later chunk claimed while nobody asked for it runs at nice 19; a request
    that comes when most of the pass is done (the rest costs less than the asked rung
    alone) raises its running ffmpeg to nice 0, and the pass goes on."""
    _, seen, lines = _background_chunk(tmp_path, caplog, ask_at=55.0, rung="720p")
    assert seen["before"] == [19], seen
    assert seen["after"] == [0], seen
    assert lines == [
        "720p,480p (nice 19)",
        "a reader waits, nice 0",
    ], lines


def test_a_background_chunk_a_reader_asks_for_early_encodes_the_asked_rung_alone_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ADR 0064: a request that comes early in a background pass over every rung stops it:
    the asked rung alone at nice 0 ends sooner than the rest of the pass would; then the
    other rungs in the background. Both rungs' segments are stored."""
    _, seen, lines = _background_chunk(tmp_path, caplog, ask_at=0.0, rung="720p")
    assert seen["after"] == [0], seen  # the new pass: the asked rung, at nice 0
    assert lines == [
        "720p,480p (nice 19)",
        "a player asked for 720p; it goes first",
        "720p (nice 0)",
        "480p (nice 19)",
    ], lines


def test_a_chunk_encoding_unasked_rungs_gives_its_worker_to_a_chunk_a_player_waits_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ADR 0064: chunk 1's asked rung is stored and its other rungs encode in the background
    when a player asks for chunk 2 and no worker is free for it: chunk 1 gives its worker
    back (pending again, the run not counted as an attempt) instead of holding it for rungs
    nobody waits for. Chunk 2 goes next; chunk 1, run again, encodes only what is missing."""
    caplog.set_level(logging.INFO, logger="vidhost.processing")
    with _hd_started(tmp_path, chunk_seconds=4.0) as (c, video_id, runner):
        assert c.repo.request_part(video_id, TaskKind.TRANSCODE_CHUNK, 1, "480p")
        rest = f"chunk 1 of {video_id}: 720p (nice 19)"

        def background() -> bool:
            return any(r.getMessage() == rest for r in list(caplog.records))

        def ask_chunk_2() -> None:  # the only worker is busy with chunk 1's background rung
            assert c.repo.request_part(video_id, TaskKind.TRANSCODE_CHUNK, 2, "720p")

        with _player(when=background, then=ask_chunk_2):
            assert runner.run(video_id, "transcode_chunk", 1) is TaskStatus.PENDING
        one = c.repo.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=1)
        assert one is not None and one.status is TaskStatus.PENDING and one.attempts == 0
        assert one.requested_at is None  # its request was served: it ranks behind chunk 2
        prefix = layout.hls_prefix(video_id)
        assert c.storage.stat(prefix + "480p_00001.m4s").size > 0  # kept: not encoded again
        # the worker's next runs take chunk 2 (asked for), chunk 3 (ahead of the playhead),
        # then chunk 1's missing rung (its request served, it lost its place)
        order = []
        while runner.run(video_id, "transcode_chunk", 1) is TaskStatus.COMPLETED:
            order.append(runner.claimed_part(1))
        assert order == [2, 3, 1], order
        for name in ("720p_00001.m4s", "480p_00001.m4s", "720p_00002.m4s", "480p_00002.m4s"):
            assert c.storage.stat(prefix + name).size > 0
    lines = [
        r.getMessage().replace(f" of {video_id}", "").replace(f" for {video_id}", "")
        for r in caplog.records
        if r.getMessage().startswith(("chunk 1 of", "chunk 2 of", "transcode_chunk 1"))
        and "skipping" not in r.getMessage()  # the loop's last run: nothing left
    ]
    assert lines == [
        "chunk 1: 480p (nice 0)",
        "chunk 1: 720p (nice 19)",
        "transcode_chunk 1 gave its worker back; queued again",
        "chunk 2: 720p (nice 0)",
        "chunk 2: 480p (nice 19)",
        "chunk 1: 720p (nice 19)",
    ], lines
