"""Chunked transcode (ADR 0060): plan and playlists first, chunks that play as one stream.

A 7.5 s 320x180 clip with a 440 Hz tone, 1 s segments, 2 s chunks (first chunk: 1 segment):
5 chunk tasks and one audio task. Continuity is checked on what a player gets: every
rendition downloaded from the HLS URLs of a real ``vidhost serve`` and decoded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import itertools
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import av
import httpx
import numpy as np
import pytest
import websockets

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, playlist_uris, task, wait_for_state
from tests.integration.helpers import container, run_transcode
from tests.integration.helpers import upload as upload_local
from tests.realtime import recv_json
from tests.server import ServerProcess
from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.media.binaries import ffmpeg_path
from vidhost.processing.runner import TaskContext
from vidhost.processing.transcode import PARTS, load_plan

DURATION = 7.5
LONG = 20.5
FPS = 25
CHUNKED = {
    "VIDHOST_LADDER_HEIGHTS": "[180, 120]",
    "VIDHOST_SEGMENT_SECONDS": "4",
    "VIDHOST_CHUNK_SECONDS": "8",
}


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("long") / "tone.mp4"
    return make_clip(out, duration=LONG, width=320, height=180, fps=FPS)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, long_clip: Path) -> Iterator[Served]:
    """The clip uploaded (with a seed 004 ``client_id``) to a real server and processed,
    with every message the owner's ``/ws/{client_id}`` socket got meanwhile."""
    data = tmp_path_factory.mktemp("server")
    server = ServerProcess(data / "data", env={**AUTH_ENV, **CHUNKED}).start()
    alice = auth("alice")

    async def scenario() -> tuple[str, list[dict[str, Any]]]:
        url = server.url.replace("http://", "ws://") + "/ws/chunky"
        async with websockets.connect(url, additional_headers=alice) as ws:
            assert (await recv_json(ws))["type"] == "connection"
            with long_clip.open("rb") as fh:
                r = await asyncio.to_thread(
                    httpx.post,
                    server.url + "/upload",
                    files={"file": (long_clip.name, fh, "video/mp4")},
                    data={"client_id": "chunky"},
                    headers=alice,
                    timeout=60,
                )
            assert r.status_code == 201, r.text
            messages: list[dict[str, Any]] = []
            while not any(
                m.get("process_type") == "transcode" and m["status"] in ("completed", "failed")
                for m in messages
            ):
                messages.append(await recv_json(ws, 60))
            return str(r.json()["videoId"]), messages

    try:
        video_id, messages = asyncio.run(scenario())
        status = wait_for_state(server.url, video_id, alice, {"ready", "failed"})
        assert status["state"] == "ready", (status, server.log())
        assert task(status, "transcode")["status"] == "completed"
        yield Served(server.url, video_id, messages)
    finally:
        server.stop()


@dataclass
class Served:
    url: str
    video_id: str
    socket: list[dict[str, Any]]


def test_the_seed_004_socket_shows_the_transcode_progress(served: Served) -> None:
    updates = [m for m in served.socket if m["type"] == "status_update"]
    assert {m["process_type"] for m in updates} <= {"transcode", "metadata_extraction"}
    transcode = [m for m in updates if m["process_type"] == "transcode"]
    progress = [m["progress"] for m in transcode]
    assert transcode[-1]["status"] == "completed" and progress[-1] == 100
    assert progress == sorted(progress)
    # stored segments / planned: several steps between the first and the last chunk
    steps = {p for m, p in zip(transcode, progress, strict=True) if m["status"] == "processing"}
    assert len([p for p in steps if 0 < p < 100]) >= 3, progress


# --- decoding what a player gets ------------------------------------------------------------


def _download(manifest_url: str, uri: str, dest: Path) -> tuple[Path, str]:
    url = urljoin(manifest_url, uri)
    playlist = httpx.get(url)
    assert playlist.status_code == 200, playlist.text
    with open(dest, "wb") as out:
        for seg_uri in playlist_uris(playlist.text):
            seg = httpx.get(urljoin(url, seg_uri))
            assert seg.status_code == 200, seg_uri
            out.write(seg.content)
    return dest, playlist.text


def _video_pts(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        return [float(f.pts * f.time_base) for f in c.decode(c.streams.video[0])]


def _audio(path: Path | str) -> tuple[list[tuple[float, float]], np.ndarray, int]:
    """[(start, end) of each decoded frame], the mono samples, the sample rate."""
    spans: list[tuple[float, float]] = []
    chunks: list[np.ndarray] = []
    rate = 0
    with av.open(str(path)) as c:
        for frame in c.decode(c.streams.audio[0]):
            rate = frame.sample_rate
            start = float(frame.pts * frame.time_base)
            spans.append((start, start + frame.samples / rate))
            chunks.append(frame.to_ndarray().reshape(-1, frame.samples)[0].astype(np.float64))
    return spans, np.concatenate(chunks), rate


def _max_jump(samples: np.ndarray, rate: int) -> float:
    body = samples[int(0.1 * rate) : -int(0.1 * rate)]  # leave out the encoder's ramp in/out
    return float(np.max(np.abs(np.diff(body))))


def _single_pass_audio(clip: Path, dest: Path) -> Path:
    """The same clip's audio encoded in one pass, the way a single-pass ladder would."""
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip), "-vn",
         "-c:a", "aac", "-b:a", "96k", "-ac", "2", "-ar", "48000", "-f", "mpegts", str(dest)],
        check=True,
        timeout=60,
    )  # fmt: skip
    return dest


def test_every_rendition_plays_as_one_stream(
    served: Served, long_clip: Path, tmp_path: Path
) -> None:
    clip = long_clip
    base, video_id = served.url, served.video_id
    manifest_url = f"{base}/stream/{video_id}/manifest"
    master = httpx.get(manifest_url).text
    media = [line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA:")]
    assert len(media) == 1 and "TYPE=AUDIO" in media[0] and 'URI="audio.m3u8"' in media[0]
    infs = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(infs) == 2 and all('AUDIO="audio"' in line for line in infs)

    source_pts = _video_pts(clip)
    source_spans, source_samples, _ = _audio(clip)
    source_audio = source_spans[-1][1] - source_spans[0][0]
    frame = 1 / FPS

    first_video: list[float] = []
    for uri in playlist_uris(master):
        joined, text = _download(manifest_url, uri, tmp_path / f"{uri}.ts")
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
        assert "#EXT-X-MAP:" in text
        assert "DISCONTINUITY" not in text
        extinf = [
            float(line[8:].rstrip(",")) for line in text.splitlines() if line[:8] == "#EXTINF:"
        ]
        assert extinf[:7] == [1.0, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0] and 0.4 < extinf[7] < 0.6
        pts = _video_pts(joined)
        assert abs(len(pts) - len(source_pts)) <= 1, (uri, len(pts), len(source_pts))
        gaps = np.diff(pts)
        assert gaps.min() > 0, f"{uri}: repeated or reordered time"
        assert gaps.max() <= 1.5 * frame + 1e-6, f"{uri}: gap of {gaps.max():.3f} s"
        assert abs(sum(extinf) - len(pts) * frame) <= frame + 1e-6
        first_video.append(pts[0])

    joined, text = _download(manifest_url, "audio.m3u8", tmp_path / "audio.ts")
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and "DISCONTINUITY" not in text
    spans, samples, rate = _audio(joined)
    duration = spans[-1][1] - spans[0][0]
    assert abs(duration - source_audio) <= 0.1, (duration, source_audio)
    holes = [b[0] - a[1] for a, b in itertools.pairwise(spans)]
    assert max(abs(h) for h in holes) <= 0.001, "audio hole or overlap at a seam"
    # and through ffmpeg's own HLS client, the way a player reads it
    streamed, _, _ = _audio(urljoin(manifest_url, "audio.m3u8"))
    holes = [b[0] - a[1] for a, b in itertools.pairwise(streamed)]
    worst = max(range(len(holes)), key=lambda i: abs(holes[i]))
    assert abs(holes[worst]) <= 0.001, f"hole of {holes[worst]:.4f} s at {streamed[worst][1]:.3f} s"
    assert abs(streamed[-1][1] - streamed[0][0] - source_audio) <= 0.1
    _, reference, ref_rate = _audio(_single_pass_audio(clip, tmp_path / "single.ts"))
    assert _max_jump(samples, rate) <= 1.5 * _max_jump(reference, ref_rate)
    assert len(source_samples) > 0
    for start in first_video:
        assert abs(start - spans[0][0]) <= frame, (start, spans[0][0])


# --- plan first, parts, fencing (in-process runners, real ffmpeg) -------------------------------


def test_plan_and_playlists_are_stored_before_any_frame_is_encoded(
    clip: Path, tmp_path: Path
) -> None:
    with container(
        tmp_path / "data", ladder_heights=[180, 120], chunk_seconds=2.0, segment_seconds=1.0
    ) as c:
        video_id = upload_local(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        keys = {o.key for o in c.storage.list(layout.video_prefix(video_id))}
        hls = layout.hls_prefix(video_id)
        assert {hls + n for n in ("master.m3u8", "180p.m3u8", "120p.m3u8", "audio.m3u8")} <= keys
        assert layout.plan_key(video_id) in keys
        assert layout.poster_key(video_id) not in keys  # the first chunk renders it (ADR 0062)
        assert not [k for k in keys if k.endswith(".ts")]  # nothing encoded yet
        assert c.repo.get_video(video_id).state is VideoState.PROCESSING
        parts = c.repo.list_parts(video_id, PARTS)
        chunks = [t.part for t in parts if t.kind is TaskKind.TRANSCODE_CHUNK]
        assert chunks == [0, 1, 2, 3, 4]  # 1 + 2 + 2 + 2 + 1 segments
        assert {t.status for t in parts} == {TaskStatus.PENDING}
        assert [t.kind for t in c.videos.tasks(video_id)].count(TaskKind.TRANSCODE) == 1

        # Progress = stored segments / planned segments (8 segments x 3 renditions). A chunk
        # message takes the chunk wanted most at claim time (ADR 0061): by index, here.
        assert runner.run(video_id, "transcode_chunk", 3) is TaskStatus.COMPLETED
        assert runner.claimed_part(3) == 0  # what metrics measure the encode speed of
        assert c.storage.stat(layout.poster_key(video_id)).size > 0
        assert c.repo.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=0).status is (
            TaskStatus.COMPLETED
        )
        row = c.repo.get_task(video_id, TaskKind.TRANSCODE)
        assert row.status is TaskStatus.PROCESSING
        assert row.progress == pytest.approx(100 * 2 / 24, abs=0.1)
        assert c.repo.get_video(video_id).state is VideoState.PROCESSING  # no audio yet
        # The start (the first chunk's lowest rung, its audio, the poster) stored: every
        # other segment can be produced on demand, so the video is ready, and the transcode
        # goes on (ADR 0061, ADR 0062).
        assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        video = c.repo.get_video(video_id)
        assert video.state is VideoState.READY and video.manifest_key == layout.master_key(video_id)
        row = c.repo.get_task(video_id, TaskKind.TRANSCODE)
        assert row.status is TaskStatus.PROCESSING
        assert row.progress == pytest.approx(100 * 10 / 24, abs=0.1)
        for part in (1, 2, 3):
            assert runner.run(video_id, "transcode_chunk", part) is TaskStatus.COMPLETED
        assert c.repo.get_task(video_id, TaskKind.TRANSCODE).status is TaskStatus.PROCESSING
        assert runner.run(video_id, "transcode_chunk", 4) is TaskStatus.COMPLETED
        row = c.repo.get_task(video_id, TaskKind.TRANSCODE)
        assert row.status is TaskStatus.COMPLETED and row.progress == 100.0
        ready = [e for e in c.repo.events_after(0) if e.data.get("state") == "ready"]
        assert len(ready) == 1  # ready once, early
        events = [
            e.data["progress"]
            for e in c.repo.events_after(0)
            if e.type == "task.progress" and e.data["kind"] == "transcode"
        ]
        assert events == sorted(events) and events[-1] == 100.0


def test_the_audio_is_stored_as_it_is_encoded_and_the_video_ready_before_it_ends(
    tmp_path: Path,
) -> None:
    """ADR 0062: a long audio track does not hold back ``ready``: its first segments are
    stored while its ffmpeg still runs."""
    long = make_clip(tmp_path / "long.mp4", duration=240, width=64, height=36, fps=5)
    with container(tmp_path / "data", ladder_heights=[36], segment_seconds=1.0) as c:
        video_id = upload_local(c, long)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
        assert c.repo.get_video(video_id).state is VideoState.PROCESSING
        seen: list[tuple[bool, VideoState, TaskStatus]] = []
        done = threading.Event()

        def watch() -> None:
            key = layout.hls_prefix(video_id) + "audio_00000.m4s"
            while not done.is_set():
                try:
                    c.storage.stat(key)
                    stored = True
                except FileNotFoundError:
                    stored = False
                video = c.repo.get_video(video_id)
                row = c.repo.get_task(video_id, TaskKind.TRANSCODE_AUDIO)
                seen.append((stored, video.state, row.status))
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            assert runner.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        finally:
            done.set()
            watcher.join(timeout=10)
        while_running = [s for s in seen if s[2] is TaskStatus.PROCESSING]
        assert (True, VideoState.READY, TaskStatus.PROCESSING) in while_running, seen[-5:]
        plan = load_plan(c.storage, video_id)
        names = {o.key.rsplit("/", 1)[-1] for o in c.storage.list(layout.hls_prefix(video_id))}
        assert {f"audio_{s.index:05d}.m4s" for s in plan.segments} <= names


def test_two_runners_share_the_chunks_of_one_video(clip: Path, tmp_path: Path) -> None:
    """Two TaskRunner instances (two containers: own engine, own runner) on one database:
    each claims different chunks of the same video at the same time."""
    settings = {"ladder_heights": [120], "chunk_seconds": 2.0, "segment_seconds": 1.0}
    with (
        container(tmp_path / "data", **settings) as a,
        container(tmp_path / "data", **settings) as b,
    ):
        video_id = upload_local(a, clip)
        first, second = a.task_runner(), b.task_runner()
        assert first.run(video_id, "transcode") is TaskStatus.PROCESSING
        ran: dict[int, str] = {}

        def work(name: str, runner, parts: list[int]) -> None:
            for part in parts:
                if runner.run(video_id, "transcode_chunk", part) is TaskStatus.COMPLETED:
                    ran[part] = name

        threads = [
            threading.Thread(target=work, args=("a", first, [0, 2, 4])),
            threading.Thread(target=work, args=("b", second, [1, 3])),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        # Each run claims the chunk wanted most at that moment (ADR 0061): all five, by both.
        assert sorted(ran) == [0, 1, 2, 3, 4] and set(ran.values()) == {"a", "b"}
        assert second.run(video_id, "transcode_audio") is TaskStatus.COMPLETED
        assert a.repo.get_video(video_id).state is VideoState.READY
        tokens = {t.claim_token for t in a.repo.list_parts(video_id, PARTS)}
        assert len(tokens) == 6


def test_a_chunk_whose_claim_was_taken_over_writes_nothing(clip: Path, tmp_path: Path) -> None:
    from datetime import timedelta

    from vidhost.core.models import utcnow

    with container(tmp_path / "data", chunk_seconds=2.0) as c:
        video_id = upload_local(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        encode = runner.handlers[TaskKind.TRANSCODE_CHUNK]
        taken: list[str | None] = []

        def stalled_then_taken_over(ctx: TaskContext) -> None:
            # While this worker runs, another one takes the chunk over (stale heartbeat).
            taken.append(
                c.repo.claim_task(
                    video_id, ctx.kind, part=ctx.part, stale_before=utcnow() + timedelta(1)
                )
            )
            encode(ctx)

        late = type(runner)(
            c.videos,
            c.repo,
            {TaskKind.TRANSCODE_CHUNK: stalled_then_taken_over},
            stale_after=30,
            interchangeable=frozenset(),
        )
        assert late.run(video_id, "transcode_chunk", 1) is None  # its result is refused
        assert taken[0] is not None
        row = c.repo.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=1)
        assert row.status is TaskStatus.PROCESSING and row.claim_token == taken[0]
        segment = layout.segment_key(video_id, "240p", 1)
        with pytest.raises(FileNotFoundError):
            c.storage.stat(segment)
        assert c.repo.get_task(video_id, TaskKind.TRANSCODE).progress == 0.0


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=60
    )


def _segments(c, video_id: str, rendition: str) -> list[list[tuple[float, bool]]]:
    """(pts, keyframe) of every packet of every stored segment of a rendition."""
    plan_segments = []
    init = c.storage.get_bytes(layout.hls_prefix(video_id) + layout.init_name(rendition))
    for n in range(100):
        try:
            data = init + c.storage.get_bytes(layout.segment_key(video_id, rendition, n))
            with av.open(io.BytesIO(data)) as ts:  # init + the segment
                s = ts.streams.video[0]
                plan_segments.append(
                    sorted(
                        (float(p.pts * s.time_base), p.is_keyframe)
                        for p in ts.demux(s)
                        if p.pts is not None
                    )
                )
        except FileNotFoundError:
            break
    return plan_segments


def test_vfr_long_gop_source_gets_keyframes_exactly_on_the_boundaries(tmp_path: Path) -> None:
    """Variable frame rate (jittered timestamps, dropped frames) and a 10 s GOP: the output
    runs at a constant 25 fps, every segment starts with a keyframe at its planned time."""
    source = tmp_path / "vfr.mkv"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x180:r=50:d=6",
        "-vf", "select='not(eq(mod(n,7),3))',setpts='PTS+0.004*sin(N)/TB'",
        "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", "-g", "500",
        "-bf", "0", str(source),
    )  # fmt: skip
    with container(tmp_path / "data", ladder_heights=[120], chunk_seconds=2.0) as c:
        video_id = upload_local(c, source)
        assert run_transcode(c, video_id) is TaskStatus.COMPLETED
        plan = load_plan(c.storage, video_id)
        segments = _segments(c, video_id, "120p")
        assert len(segments) == len(plan.segments)
        frame = float(1 / plan.fps)
        origin = segments[0][0][0]
        for planned, packets in zip(plan.segments, segments, strict=True):
            assert len(packets) == planned.frames
            assert packets[0][1], "a segment must start with a keyframe"
            assert not any(key for _, key in packets[1:]), "no keyframe inside a segment"
            assert packets[0][0] - origin == pytest.approx(planned.start_frame * frame, abs=1e-3)
        pts = [p for seg in segments for p, _ in seg]
        assert np.allclose(np.diff(pts), frame, atol=1e-3)  # constant output rate


def test_audio_longer_than_video_still_fills_every_planned_segment(tmp_path: Path) -> None:
    source = tmp_path / "long_audio.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=5.6",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=6.5",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(source),
    )  # fmt: skip
    with container(tmp_path / "data", ladder_heights=[120], chunk_seconds=2.0) as c:
        video_id = upload_local(c, source)
        assert run_transcode(c, video_id) is TaskStatus.COMPLETED
        plan = load_plan(c.storage, video_id)
        segments = _segments(c, video_id, "120p")
        assert [len(s) for s in segments] == [s.frames for s in plan.segments]


def test_on_s3_a_worker_downloads_the_source_once_for_all_its_chunks(
    seaweed, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    with container(tmp_path / "data", ladder_heights=[120], chunk_seconds=2.0) as c:
        assert c.settings.storage == "s3"
        video_id = upload_local(c, clip)
        fetched: list[str] = []
        download = c.storage.local_copy

        def counted(key: str):  # the S3 adapter's download, counted
            fetched.append(key)
            return download(key)

        monkeypatch.setattr(c.storage, "local_copy", counted)
        assert run_transcode(c, video_id) is TaskStatus.COMPLETED
        video = c.repo.get_video(video_id)
        assert video.state is VideoState.READY
        # The plan task (poster), 5 chunks and the audio share one download.
        assert fetched == [video.source_key]
        assert len(list((c.settings.tmp_dir / "sources").iterdir())) == 1
        keys = {o.key for o in c.storage.list(layout.hls_prefix(video_id))}
        assert len([k for k in keys if k.endswith(".m4s")]) == 8 * 2


def test_a_transcode_taken_over_resumes_its_plan_and_keeps_its_progress(
    clip: Path, tmp_path: Path
) -> None:
    with container(tmp_path / "data", ladder_heights=[120], chunk_seconds=2.0) as c:
        video_id = upload_local(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        plan = c.storage.stat(layout.plan_key(video_id))
        assert runner.run(video_id, "transcode_chunk", 0) is TaskStatus.COMPLETED
        before = c.repo.get_task(video_id, TaskKind.TRANSCODE)
        assert before.progress > 0
        # Its worker is gone (stale heartbeat): another one takes the transcode over.
        eager = type(runner)(c.videos, c.repo, runner.handlers, stale_after=-1)
        assert eager.run(video_id, "transcode") is TaskStatus.PROCESSING
        after = c.repo.get_task(video_id, TaskKind.TRANSCODE)
        assert after.attempts == 2 and after.claim_token != before.claim_token
        assert after.progress == before.progress  # not back to 0 on the sockets
        assert c.storage.stat(layout.plan_key(video_id)).etag == plan.etag  # same plan
        progress = [
            e.data["progress"]
            for e in c.repo.events_after(0)
            if e.type == "task.progress" and e.data["kind"] == "transcode"
        ]
        assert progress == sorted(progress)
        parts = c.repo.list_parts(video_id, PARTS)
        assert len(parts) == 6  # the same parts, not new ones
        assert run_transcode(c, video_id, runner) is None  # the transcode is taken
        for task in parts:
            runner.run(video_id, task.kind.value, task.part)
        assert c.repo.get_video(video_id).state is VideoState.READY
        assert c.repo.get_task(video_id, TaskKind.TRANSCODE).status is TaskStatus.COMPLETED


def test_a_chunk_running_when_its_video_is_deleted_stores_nothing(
    clip: Path, tmp_path: Path
) -> None:
    with container(tmp_path / "data", ladder_heights=[120], chunk_seconds=2.0) as c:
        video_id = upload_local(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING
        encode = runner.handlers[TaskKind.TRANSCODE_CHUNK]

        def deleted_meanwhile(ctx: TaskContext) -> None:
            def progress(percent: float) -> None:
                if c.repo.get_video(video_id).state is not VideoState.DELETED:
                    c.videos.delete(video_id)  # the owner deletes it while ffmpeg runs
                ctx.progress(percent)

            encode(dataclasses.replace(ctx, progress=progress))

        late = type(runner)(
            c.videos, c.repo, {TaskKind.TRANSCODE_CHUNK: deleted_meanwhile}, stale_after=30
        )
        assert late.run(video_id, "transcode_chunk", 1) is None
        assert list(c.storage.list(layout.video_prefix(video_id))) == []
        # The delete failed every unfinished part: messages still queued claim nothing.
        assert runner.run(video_id, "transcode_chunk", 2) is None
        parts = c.repo.list_parts(video_id, PARTS)
        assert {(t.status, t.error_code) for t in parts} == {(TaskStatus.FAILED, "video_deleted")}
        assert list(c.storage.list(layout.video_prefix(video_id))) == []


def test_a_part_that_fails_once_runs_again_and_twice_fails_the_video(
    clip: Path, tmp_path: Path
) -> None:
    from vidhost.media.errors import MediaError

    with container(tmp_path / "data", ladder_heights=[120], chunk_seconds=2.0) as c:
        video_id = upload_local(c, clip)
        runner = c.task_runner()
        assert runner.run(video_id, "transcode") is TaskStatus.PROCESSING

        def broken(ctx: TaskContext) -> None:  # e.g. a worker whose ffmpeg is broken
            raise MediaError("ffmpeg_failed", "ffmpeg exited with code 1")

        bad = type(runner)(
            c.videos,
            c.repo,
            {**runner.handlers, TaskKind.TRANSCODE_CHUNK: broken},
            stale_after=30,
            on_completed=runner.on_completed,
            on_failed=runner.on_failed,
            interchangeable=frozenset(),  # this very part, not the one wanted most
        )
        assert bad.run(video_id, "transcode_chunk", 2) is TaskStatus.FAILED
        row = c.repo.get_task(video_id, TaskKind.TRANSCODE_CHUNK, part=2)
        assert row.status is TaskStatus.PENDING and row.attempts == 1  # queued again
        assert c.repo.get_video(video_id).state is VideoState.PROCESSING
        assert run_transcode(c, video_id, runner) is None  # the transcode row is running
        for task in c.repo.list_parts(video_id, PARTS):
            if task.status is TaskStatus.PENDING:
                assert runner.run(video_id, task.kind.value, task.part) is TaskStatus.COMPLETED
        assert c.repo.get_video(video_id).state is VideoState.READY

        other = upload_local(c, clip)
        assert runner.run(other, "transcode") is TaskStatus.PROCESSING
        assert bad.run(other, "transcode_chunk", 0) is TaskStatus.FAILED
        assert bad.run(other, "transcode_chunk", 0) is TaskStatus.FAILED
        video = c.repo.get_video(other)
        assert (video.state, video.error_code) == (VideoState.FAILED, "ffmpeg_failed")
        row = c.repo.get_task(other, TaskKind.TRANSCODE_CHUNK, part=0)
        assert row.status is TaskStatus.FAILED and row.attempts == 2
        transcode = c.repo.get_task(other, TaskKind.TRANSCODE)
        assert (transcode.status, transcode.error_code) == (TaskStatus.FAILED, "ffmpeg_failed")
        # The other parts of the failed video do no work and are not run again.
        assert runner.run(other, "transcode_chunk", 1) is TaskStatus.FAILED
        row = c.repo.get_task(other, TaskKind.TRANSCODE_CHUNK, part=1)
        assert (row.status, row.error_code, row.attempts) == (
            TaskStatus.FAILED,
            "ffmpeg_failed",
            1,
        )
        assert not [
            k for k in c.storage.list(layout.hls_prefix(other)) if k.key.endswith((".m4s", ".ts"))
        ]
