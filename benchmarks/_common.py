"""Shared helpers for benchmark scripts (run from the repository root)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.server import ServerProcess  # noqa: E402
from vidhost.app.settings import Settings  # noqa: E402
from vidhost.media.binaries import ffmpeg_path  # noqa: E402

__all__ = [
    "ROOT",
    "ServerProcess",
    "Stored",
    "Uploaded",
    "WorkerProcess",
    "bench_dir",
    "bench_env",
    "describe",
    "ffmpeg",
    "make_source",
    "reap",
    "upload",
    "wait_ready",
    "wait_stored",
    "warm_up",
]


def ffmpeg() -> str:
    return ffmpeg_path(None)


def make_source(path: Path, *, seconds: int, size: str, fps: int = 30, codec: str = "h264") -> Path:
    """A synthetic clip (moving test pattern + 440 Hz tone) of the given length and size,
    kept at ``path`` (written under another name first: an interrupted run caches nothing)."""
    if path.exists():
        return path
    partial = path.with_name(path.stem + ".partial" + path.suffix)
    video = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
    if codec == "rawvideo":
        video = ["-c:v", "rawvideo", "-pix_fmt", "yuv420p"]
    subprocess.run(
        [
            ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:d={seconds}",
            *video, "-c:a", "aac", "-b:a", "128k", "-shortest", str(partial),
        ],
        check=True,
    )  # fmt: skip
    partial.rename(path)
    return path


def wait_ready(base: str, video_id: str, timeout: float = 1800) -> dict:
    """Wait on seed 001's status WebSocket (no polling load on the machine being measured)."""
    ws_url = base.replace("http://", "ws://") + f"/video/{video_id}/status/stream"
    with connect(ws_url, open_timeout=30) as ws:
        while True:
            message = json.loads(ws.recv(timeout=timeout))
            if message["state"] in ("READY", "FAILED"):
                break
    return dict(httpx.get(f"{base}/api/videos/{video_id}/status").json())


def bench_env(settings: Settings) -> dict[str, str]:
    """The environment of every vidhost process a benchmark starts: the defaults ``vidhost
    serve`` uses (not the test suite's small ladder, 1 s segments and 1 s reconciler)."""
    return {
        "VIDHOST_AUTH": "none",
        "VIDHOST_LADDER_HEIGHTS": json.dumps(settings.ladder_heights),
        "VIDHOST_X264_PRESET": settings.x264_preset,
        "VIDHOST_SEGMENT_SECONDS": str(settings.segment_seconds),
        "VIDHOST_RECONCILE_INTERVAL": str(settings.reconcile_interval),
        "VIDHOST_TASK_STALE_AFTER": str(settings.task_stale_after),
        "VIDHOST_LOG_LEVEL": "WARNING",
    }


def bench_dir(path: str | None) -> Path:
    """Where a benchmark keeps its cached clips (``clips/``) and its rounds (``runs/``)."""
    root = Path(path) if path else Path(tempfile.gettempdir()) / "vidhost-bench"
    (root / "clips").mkdir(parents=True, exist_ok=True)
    (root / "runs").mkdir(parents=True, exist_ok=True)
    return root


@dataclass(frozen=True)
class Uploaded:
    video_id: str
    started: float
    """``time.time()`` right before the request."""
    answered: float
    """``time.time()`` right after the response."""


def upload(base: str, source: Path, fields: dict[str, str] | None = None) -> Uploaded:
    """``POST /upload`` of ``source`` (multipart, with form ``fields``), timed on the wall
    clock."""
    with open(source, "rb") as fh:
        started = time.time()
        r = httpx.post(
            base + "/upload",
            files={"file": (source.name, fh, "video/mp4")},
            data=fields or {},
            timeout=900,
        )
        answered = time.time()
    r.raise_for_status()
    return Uploaded(str(r.json()["videoId"]), started, answered)


@dataclass(frozen=True)
class Stored:
    ready: float
    """``time.time()`` when the poll first saw the video ``ready``."""
    stored: float
    """``time.time()`` when the poll first saw the ``transcode`` task ``completed``."""


def wait_stored(base: str, video_id: str, timeout: float = 3600, interval: float = 0.25) -> Stored:
    """Poll the status until the ``transcode`` task is ``completed``: the whole ladder is stored.

    Since issue 10 a video may be ``ready`` before that (segments produced on demand), so the
    state alone does not say the ladder is done; the task does (ADR 0060)."""
    ready: float | None = None
    deadline = time.monotonic() + timeout
    url = f"{base}/api/videos/{video_id}/status"
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < deadline:
            status = client.get(url).json()
            now = time.time()
            if status["state"] == "failed":
                raise RuntimeError(f"video {video_id} failed: {status.get('error')}")
            if status["state"] == "ready" and ready is None:
                ready = now
            transcode = [t for t in status["tasks"] if t["type"] == "transcode"]
            if ready is not None and transcode and transcode[0]["status"] == "completed":
                return Stored(ready, now)
            time.sleep(interval)
    raise RuntimeError(f"video {video_id} not stored after {timeout:.0f} s")


def warm_up(base: str, cache: Path) -> None:
    """A tiny clip through the whole pipeline, so the worker is up and consuming (a fresh one
    takes a second or two to boot; a running server doesn't) and idle again afterwards."""
    warm = make_source(cache / "warmup.mp4", seconds=1, size="320x240")
    wait_stored(base, upload(base, warm).video_id, timeout=300)


class WorkerProcess:
    """A standalone ``vidhost worker`` on the data dir's embedded broker, optionally pinned to
    CPU cores with ``taskset``."""

    def __init__(
        self, data_dir: Path, env: dict[str, str], name: str, cores: str | None = None
    ) -> None:
        self.log_path = data_dir / f"worker-{name}.log"
        pin = ["taskset", "-c", cores] if cores else []
        cmd = [
            *pin,
            sys.executable,
            "-m",
            "vidhost",
            "worker",
            "--concurrency",
            "1",
            "--name",
            name,
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            cmd,
            env={**os.environ, **env, "VIDHOST_DATA_DIR": str(data_dir)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def describe(settings: Settings) -> str:
    opening = [o for o in settings.opening_segments if o < settings.segment_seconds]
    first = (
        "opening segments " + ", ".join(f"{o:g}" for o in opening) + " s, each a chunk"
        if opening
        else f"first {settings.first_chunk_seconds or settings.segment_seconds:g} s"
    )
    return (
        f"ladder {settings.ladder_heights}, preset {settings.x264_preset}, "
        f"{settings.segment_seconds:g} s segments ({settings.segment_format}), chunks "
        f"{settings.chunk_seconds:g} s ({first})"
    )


def leftovers(run_dir: Path) -> list[int]:
    """Processes (of this user) whose command line names ``run_dir``: a round's ffmpeg or
    worker that outlived its server."""
    needle = str(run_dir).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if entry.stat().st_uid == os.getuid() and needle in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def reap(run_dir: Path, grace: float = 10) -> None:
    """Wait until nothing started for ``run_dir`` runs any more (SIGKILL, by pid, what is still
    there after ``grace`` seconds), so the next round has the machine to itself."""
    deadline = time.monotonic() + grace
    while (pids := leftovers(run_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
