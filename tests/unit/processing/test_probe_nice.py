"""The title probe runs at the background nice until the video is ready, then at nice 0
(ADR 0046): a real child process, reniced."""

from __future__ import annotations

import os
import subprocess

from vidhost.processing.transcode.decision import RaiseWhenReady


def _nice(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def test_the_probe_is_raised_to_nice_0_once_the_video_is_ready() -> None:
    ready = [False]
    raise_ = RaiseWhenReady(lambda: ready[0], every=0.0)
    first = subprocess.Popen(["sleep", "30"], preexec_fn=lambda: os.nice(19))
    try:
        raise_.started(first.pid)
        raise_.tick()
        assert _nice(first.pid) == 19  # not ready: the start goes first
        ready[0] = True
        raise_.tick()
        assert _nice(first.pid) == 0
        # a later ffmpeg of the probe (the VMAF run) is raised as it starts
        second = subprocess.Popen(["sleep", "30"], preexec_fn=lambda: os.nice(19))
        try:
            raise_.started(second.pid)
            assert _nice(second.pid) == 0
        finally:
            second.kill()
            second.wait()
    finally:
        first.kill()
        first.wait()
