"""The probe sandbox, the input limits and the pinned readers (ADR 0051), with real ffmpeg/PyAV."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import crafted
from tests.clips import make_clip
from tests.http_server import Listener
from vidhost.app.container import Container
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.core.errors import InvalidInput
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.media.binaries import ffmpeg_path
from vidhost.media.errors import MediaError, scrub_paths
from vidhost.media.formats import demuxer, input_args
from vidhost.media.probe import probe
from vidhost.media.probe_limits import MediaLimits
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import MIB, ProcessLimits, probe_isolated
from vidhost.media.thumbs import thumbnail_command

FFMPEG = ffmpeg_path()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener(404)
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, listener: Listener) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("sandbox")
    canary_clip, canary_text = crafted.canary_files(d / "canary")
    return {
        "clip": make_clip(d / "clip.mp4", duration=1.0, width=320, height=240),
        "canary_clip": canary_clip,
        "canary_text": canary_text,
        "dash": crafted.dash_manifest(d / "m.mpd", canary_clip, "canary/private_meeting.ts"),
        "hls": crafted.hls_playlist(d / "p.m3u8", canary_clip, listener.url),
        "ffconcat": crafted.ffconcat_self_include(d / "source"),
        "avi": crafted.avi_with_playlist(d / "e.avi", canary_clip, listener.url),
        "duration_bomb": crafted.duration_bomb(d / "day.mkv"),
    }


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _peak_rss_mb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(next(ln for ln in status.splitlines() if ln.startswith("VmHWM:")).split()[1]) // 1024


def test_isolated_probe_matches_the_in_process_probe(files: dict[str, Path]) -> None:
    inside = probe(files["clip"])
    isolated = probe_isolated(files["clip"], media_limits=MediaLimits())
    assert isolated == inside
    assert isolated.format_name.startswith("mov,mp4")


@pytest.mark.parametrize("name", ["dash", "hls", "ffconcat", "avi"])
def test_referencing_inputs_are_refused_without_opening_anything(
    files: dict[str, Path], listener: Listener, name: str
) -> None:
    fds, peak = _fds(), _peak_rss_mb()
    with pytest.raises(MediaError) as exc:
        probe_isolated(files[name], media_limits=MediaLimits())
    assert exc.value.code == "not_a_video"
    assert str(files[name].parent) not in exc.value.message
    assert listener.connections == 0
    assert _fds() == fds and _peak_rss_mb() < peak + 32  # nothing happened in this process


def test_in_process_probe_is_allow_listed_too(files: dict[str, Path]) -> None:
    """Even unsandboxed, the PyAV open refuses the playlist that names the canary."""
    with pytest.raises(MediaError) as exc:
        probe(files["hls"])
    assert exc.value.code == "not_a_video"


def test_probe_timeout_kills_the_child(files: dict[str, Path]) -> None:
    with pytest.raises(MediaError) as exc:
        probe_isolated(files["clip"], limits=ProcessLimits(timeout=0.01, max_file_bytes=0))
    assert exc.value.code == "probe_timeout"


def test_probe_memory_limit_fails_cleanly(tmp_path: Path) -> None:
    """A 16000x16000 frame cannot be decoded in 256 MiB: the child fails, not the caller."""
    bomb = crafted.pixel_bomb(tmp_path / "pixels.mkv")
    peak = _peak_rss_mb()
    with pytest.raises(MediaError) as exc:
        probe_isolated(bomb, limits=ProcessLimits(memory_bytes=256 * MIB, max_file_bytes=0))
    assert exc.value.code in {"probe_failed", "corrupt_media"}
    assert _peak_rss_mb() < peak + 32
    with pytest.raises(MediaError) as limited:  # and with the limits, refused from the header
        probe_isolated(bomb, media_limits=MediaLimits())
    assert limited.value.code == "resolution_too_large"


def test_probe_file_descriptor_limit(files: dict[str, Path]) -> None:
    """Too few descriptors to even start: probe_failed, never an fd leak in the caller."""
    fds = _fds()
    with pytest.raises(MediaError) as exc:
        probe_isolated(files["clip"], limits=ProcessLimits(max_files=3, max_file_bytes=0))
    assert exc.value.code == "probe_failed"
    assert _fds() <= fds  # none leaked (threads of earlier tests may close some meanwhile)


def test_a_killed_child_is_probe_failed(files: dict[str, Path]) -> None:
    with pytest.raises(MediaError) as exc:  # CPU limit 1 s cannot kill in time; AS can
        probe_isolated(files["clip"], limits=ProcessLimits(memory_bytes=16 * MIB))
    assert exc.value.code == "probe_failed"


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        (MediaLimits(max_width=319), "resolution_too_large"),
        (MediaLimits(max_height=239), "resolution_too_large"),
        (MediaLimits(max_pixels=320 * 240 - 1), "resolution_too_large"),
        (MediaLimits(max_fps=24), "frame_rate_too_high"),
        (MediaLimits(max_streams=1), "too_many_streams"),
        (MediaLimits(max_duration=0.5), "duration_too_long"),
    ],
)
def test_each_limit_has_its_code(files: dict[str, Path], limits: MediaLimits, code: str) -> None:
    with pytest.raises(MediaError) as exc:
        probe_isolated(files["clip"], media_limits=limits)  # 320x240, 25 fps, 1 s, 2 streams
    assert exc.value.code == code


def test_default_limits_accept_a_normal_clip_and_refuse_a_day(files: dict[str, Path]) -> None:
    assert probe(files["clip"], limits=MediaLimits()).video is not None
    with pytest.raises(MediaError) as exc:
        probe(files["duration_bomb"], limits=MediaLimits())
    assert exc.value.code == "duration_too_long"


def test_demuxer_allow_list() -> None:
    assert demuxer("mov,mp4,m4a,3gp,3g2,mj2") == "mov"
    assert demuxer("matroska,webm") == "matroska"
    for name in ("hls", "dash", "concat", "image2", "gif", "lavfi", "tee"):
        with pytest.raises(MediaError):
            demuxer(name)
    args = input_args("mpegts")
    assert args[args.index("-protocol_whitelist") + 1] == "file"
    assert args[-2:] == ["-f", "mpegts"]


def test_a_forced_demuxer_never_reads_the_manifest_it_is_given(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """A render of a source accepted as MP4 that became a DASH manifest shows no canary."""
    out = tmp_path / "thumb.png"
    cmd = thumbnail_command(
        FFMPEG, str(files["dash"]), str(out), at=0, width=None, height=None, fit="contain",
        fmt="png", input_format="mov,mp4,m4a,3gp,3g2,mj2",
    )  # fmt: skip
    with pytest.raises(MediaError):
        run_ffmpeg(cmd, duration=None)
    assert not out.exists()
    # Without the pin (today's renders), the same command renders the canary's red.
    open_cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(files["hls"])]
    leak = subprocess.run(
        [*open_cmd, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=False,
    )
    r, g, b = leak.stdout[:3]
    assert leak.returncode == 0 and r > 200 and g < 40 and b < 40  # the canary's red
    pinned = [FFMPEG, "-hide_banner", "-loglevel", "error", *input_args(None), "-i"]
    refused = subprocess.run(
        [*pinned, str(files["hls"]), "-frames:v", "1", "-f", "rawvideo", "-"],
        capture_output=True,
        check=False,
    )
    assert refused.returncode != 0 and refused.stdout == b""


def test_limited_ffmpeg_has_no_network() -> None:
    """Even a command with no allow-list cannot connect out from under the render limits."""
    own = Listener(404)  # its own: the control below connects, the module's stays at 0
    try:
        cmd = [FFMPEG, "-hide_banner", "-nostdin", "-i", f"{own.url}/x.ts", "-f", "null", "-"]
        with pytest.raises(MediaError) as exc:
            run_ffmpeg(cmd, duration=None, limits=ProcessLimits(timeout=20))
        assert exc.value.code == "ffmpeg_failed"
        assert own.connections == 0
        # The control: the same limits with the network left on do reach the listener.
        with pytest.raises(MediaError):
            run_ffmpeg(cmd, duration=None, limits=ProcessLimits(timeout=20, no_network=False))
        assert own.connections == 1
    finally:
        own.close()


def test_error_messages_carry_no_server_paths() -> None:
    text = "Error opening input file /srv/data/storage/videos/abc/source.\nfps 30000/1001"
    assert scrub_paths(text) == "Error opening input file source.\nfps 30000/1001"
    assert scrub_paths("see file:///etc/passwd now") == "see file://passwd now"


# --------------------------------------------------------------------------- domain + tasks


def _container(tmp_path: Path, **settings: object) -> Container:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "auth": "none",
        "ladder_heights": [240],
        "x264_preset": "ultrafast",
        "segment_seconds": 1,
        **settings,
    }
    return build_container(Settings.model_validate(values), worker=True)


def test_accepted_source_keeps_its_container_and_etag(
    files: dict[str, Path], tmp_path: Path
) -> None:
    c = _container(tmp_path)
    try:
        copy = tmp_path / "in.mp4"
        shutil.copy(files["clip"], copy)
        video = c.videos.upload_file(owner="u", path=copy, filename="in.mp4", content_type=None)
        stored = c.repo.get_video(video.id)
        assert stored is not None and stored.source_key is not None
        assert stored.source_format is not None and stored.source_format.startswith("mov,")
        assert stored.source_etag == c.storage.stat(stored.source_key).etag
    finally:
        c.close()


def test_a_task_refuses_a_source_changed_after_acceptance(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """What a second S3 PUT does before processing: the transcode fails, the bytes go."""
    c = _container(tmp_path)
    try:
        init = c.direct.init(owner="u")
        key = f"videos/{init.video.id}/source"
        c.storage.put_bytes(key, files["clip"].read_bytes())
        c.direct.finish(init.video.id)
        c.storage.put_bytes(key, files["hls"].read_bytes())  # swapped after acceptance
        assert c.task_runner().run(init.video.id, TaskKind.TRANSCODE.value) is TaskStatus.FAILED
        video = c.repo.get_video(init.video.id)
        assert video is not None and video.state is VideoState.FAILED
        assert video.error_code == "source_changed"
        with pytest.raises(FileNotFoundError):
            c.storage.stat(key)
    finally:
        c.close()


@pytest.mark.parametrize("name", ["hls", "duration_bomb", "ffconcat"])
def test_a_refused_direct_upload_keeps_no_bytes(
    files: dict[str, Path], tmp_path: Path, name: str
) -> None:
    c = _container(tmp_path)
    try:
        init = c.direct.init(owner="u")
        key = f"videos/{init.video.id}/source"
        c.storage.put_bytes(key, files[name].read_bytes())
        with pytest.raises(InvalidInput) as exc:
            c.direct.finish(init.video.id)
        assert exc.value.code in {"not_a_video", "duration_too_long"}
        with pytest.raises(FileNotFoundError):
            c.storage.stat(key)
        video = c.repo.get_video(init.video.id)
        assert video is not None and video.state is VideoState.FAILED
        assert video.error_code == exc.value.code
    finally:
        c.close()


def test_seed003_duration_override_and_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings(data_dir=tmp_path).max_duration_seconds == 21600
    monkeypatch.setenv("MAX_VIDEO_DURATION_MINUTES", "2")
    assert Settings(data_dir=tmp_path).max_duration_seconds == 120


def test_the_launcher_runs_a_task_at_the_nice_value_asked_and_renice_reaches_every_thread() -> None:
    """ADR 0062: work nobody waits for yields the cores (nice 19), and a running ffmpeg's
    threads can be moved there once its urgent part is done."""
    import sys
    import time

    from vidhost.media.process import renice
    from vidhost.media.sandbox import limited_command, task_limits

    before = os.nice(0)
    script = "import os; print(os.nice(0))"
    out = subprocess.run(
        limited_command([sys.executable, "-c", script], task_limits(30, nice=19)),
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout) == min(19, before + 19)
    threads = (
        "import threading, time\n"
        "for _ in range(3): threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        "time.sleep(30)"
    )
    proc = subprocess.Popen([sys.executable, "-c", threads])
    try:
        deadline = time.monotonic() + 10
        while len(os.listdir(f"/proc/{proc.pid}/task")) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        renice(proc.pid, 19)
        tids = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task")]
        assert len(tids) >= 4
        assert {os.getpriority(os.PRIO_PROCESS, t) for t in tids} == {19}
    finally:
        proc.kill()
        proc.wait()
