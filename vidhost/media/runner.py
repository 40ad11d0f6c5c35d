"""Running ffmpeg with progress reporting, a timeout and cancellation."""

from __future__ import annotations

import contextlib
import queue
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import IO

from vidhost.media.errors import (
    CORRUPT_MEDIA,
    FFMPEG_FAILED,
    FFMPEG_KILLED,
    FFMPEG_TIMEOUT,
    MediaError,
    scrub_paths,
)
from vidhost.media.process import child_preexec
from vidhost.media.sandbox import ProcessLimits, limited_command

PROGRESS_INTERVAL = 0.5  # seconds between on_progress calls (unless a whole percent is crossed)
STDERR_TAIL_LINES = 40  # stderr lines kept for error messages
_ERROR_LINES = 15  # of which this many go into MediaError.message
_MAX_LINE_CHARS = 1000
_POLL_SECONDS = 0.1
_KILL_WAIT_SECONDS = 10.0
_MAX_RUNNING_PERCENT = 99.9  # 100 is reserved for "finished successfully"


class _EndOfOutput:
    """Sentinel put on the progress queue when ffmpeg's stdout closes."""


_EOF = _EndOfOutput()


def run_ffmpeg(
    args: Sequence[str],
    *,
    duration: float | None,
    on_progress: Callable[[float], None] | None = None,
    timeout: float | None = None,
    limits: ProcessLimits | None = None,
    on_start: Callable[[int], None] | None = None,
    on_tick: Callable[[], None] | None = None,
) -> None:
    """Run an ffmpeg command built with ``-progress pipe:1`` and wait for it.

    ``on_start`` receives ffmpeg's process id once it runs (e.g. to renice it later).

    ``on_tick`` is called from the calling thread about every ``_POLL_SECONDS`` while ffmpeg
    runs, whether or not it reports progress (a process starved of CPU, e.g. at nice 19 beside
    nice-0 work, reports rarely). If it raises, ffmpeg is killed and the exception propagates.

    ``on_progress`` receives a percentage of ``duration`` (seconds of output expected), called
    from the calling thread: non-decreasing, at most every ``PROGRESS_INTERVAL`` seconds unless a
    whole percent is crossed, below 100 while running and exactly 100.0 once after a successful
    exit (without a usable ``duration`` only the final 100 is reported). If ``on_progress``
    raises, ffmpeg is killed and the exception propagates (use this to cancel).

    Raises :class:`MediaError` ``ffmpeg_timeout`` (process killed after ``timeout`` seconds) or
    ``ffmpeg_failed`` (could not start, or non-zero exit; message holds the stderr tail, with
    file paths replaced by ``<path>``). ``limits`` runs ffmpeg under those resource limits
    (its ``timeout`` applies when ``timeout`` is not given).
    """
    argv = list(args)
    if limits is not None:
        argv = limited_command(argv, limits)
        timeout = timeout if timeout is not None else limits.timeout
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=child_preexec(),  # ffmpeg dies with its worker, even on kill -9
        )
    except OSError as exc:
        raise MediaError(FFMPEG_FAILED, f"Could not start ffmpeg ({exc.strerror})") from exc

    assert proc.stdout is not None and proc.stderr is not None
    if on_start is not None:
        on_start(proc.pid)  # the launcher execs ffmpeg: the same process
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    updates: queue.Queue[float | _EndOfOutput] = queue.Queue()
    readers = [
        threading.Thread(
            target=_read_stderr, args=(proc.stderr, tail), name="ffmpeg-stderr", daemon=True
        ),
        threading.Thread(
            target=_read_progress, args=(proc.stdout, updates), name="ffmpeg-stdout", daemon=True
        ),
    ]
    for reader in readers:
        reader.start()

    deadline = time.monotonic() + timeout if timeout is not None else None
    reporter = _ProgressReporter(duration, on_progress)
    try:
        stdout_open = True
        while stdout_open:
            _check_deadline(deadline, timeout, tail)
            if on_tick is not None:
                on_tick()
            try:
                item = updates.get(timeout=_wait_time(deadline))
            except queue.Empty:
                continue
            if isinstance(item, _EndOfOutput):
                stdout_open = False
            else:
                reporter.update(item)
        while True:
            try:
                returncode = proc.wait(timeout=_wait_time(deadline))
                break
            except subprocess.TimeoutExpired:
                _check_deadline(deadline, timeout, tail)
    finally:
        if proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=_KILL_WAIT_SECONDS)
        for reader in readers:
            reader.join(timeout=_KILL_WAIT_SECONDS)
        proc.stdout.close()
        proc.stderr.close()

    if returncode == _INVALID_DATA_EXIT:
        raise MediaError(
            CORRUPT_MEDIA,
            "the source has corrupt or truncated media data: " + _format_tail(tail, _ERROR_LINES),
        )
    if -returncode in _OUTSIDE_KILLS:
        raise MediaError(FFMPEG_KILLED, f"ffmpeg was killed by signal {-returncode}")
    if returncode != 0:
        raise MediaError(
            FFMPEG_FAILED,
            f"ffmpeg exited with code {returncode}: " + _format_tail(tail, _ERROR_LINES),
        )
    reporter.finish()


_INVALID_DATA_EXIT = 183
"""ffmpeg's exit status for AVERROR_INVALIDDATA (``-xerror`` stops on a decode error)."""
_OUTSIDE_KILLS = frozenset(
    {signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT}
)
"""Signals that end ffmpeg from outside (the OOM killer, an operator, a shutdown), never
because of the media: the run says nothing about the video (``ffmpeg_killed``). We kill
ffmpeg ourselves only on a timeout or a cancel, which raise before the exit is looked at.
A crash (SIGSEGV, SIGABRT) stays ``ffmpeg_failed``."""


class _ProgressReporter:
    """Turns output timestamps into throttled, monotonic percentages."""

    def __init__(self, duration: float | None, callback: Callable[[float], None] | None) -> None:
        self._duration = duration if duration is not None and duration > 0 else None
        self._callback = callback
        self._last_percent = -1.0
        self._last_time = 0.0

    def update(self, seconds: float) -> None:
        if self._callback is None or self._duration is None:
            return
        percent = min(_MAX_RUNNING_PERCENT, max(0.0, seconds * 100.0 / self._duration))
        if percent <= self._last_percent:
            return
        now = time.monotonic()
        crossed_whole = int(percent) > int(self._last_percent)
        if crossed_whole or now - self._last_time >= PROGRESS_INTERVAL:
            self._emit(percent, now)

    def finish(self) -> None:
        if self._callback is not None:
            self._emit(100.0, time.monotonic())

    def _emit(self, percent: float, now: float) -> None:
        assert self._callback is not None
        self._last_percent = percent
        self._last_time = now
        self._callback(percent)


def _wait_time(deadline: float | None) -> float:
    if deadline is None:
        return _POLL_SECONDS
    return max(0.0, min(_POLL_SECONDS, deadline - time.monotonic()))


def _check_deadline(deadline: float | None, timeout: float | None, tail: deque[str]) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise MediaError(
            FFMPEG_TIMEOUT,
            f"ffmpeg did not finish within {timeout:g} s and was killed. " + _format_tail(tail, 3),
        )


def _read_stderr(stream: IO[bytes], tail: deque[str]) -> None:
    for line in _lines(stream):
        if line:
            tail.append(line[:_MAX_LINE_CHARS])


def _read_progress(stream: IO[bytes], updates: queue.Queue[float | _EndOfOutput]) -> None:
    """Parse ``-progress`` key=value blocks; queue the output time (s) at each block's end."""
    try:
        current: float | None = None
        for line in _lines(stream):
            key, sep, value = line.partition("=")
            if not sep:
                continue
            key = key.strip()
            value = value.strip()
            if key in ("out_time_us", "out_time_ms"):  # both are microseconds in ffmpeg
                seconds = _parse_int(value)
                if seconds is not None:
                    current = seconds / 1_000_000
            elif key == "out_time" and current is None:
                current = parse_timestamp(value)
            elif key == "progress":
                if current is not None:
                    updates.put(current)
                current = None
    finally:
        updates.put(_EOF)


def _lines(stream: IO[bytes]) -> Iterator[str]:
    """Decoded lines; ffmpeg ends stats lines with ``\\r``, so split on that too."""
    for raw in iter(stream.readline, b""):
        for part in raw.decode("utf-8", errors="replace").replace("\r", "\n").split("\n"):
            yield part.rstrip()


def _parse_int(value: str) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number >= 0 else None


def parse_timestamp(value: str) -> float | None:
    """``HH:MM:SS.ffffff`` -> seconds; ``None`` for ``N/A`` or garbage."""
    parts = value.strip().split(":")
    if len(parts) != 3:
        return None
    try:
        hours, minutes, seconds = int(parts[0]), int(parts[1]), float(parts[2])
    except ValueError:
        return None
    total = hours * 3600 + minutes * 60 + seconds
    return total if total >= 0 else None


def _format_tail(tail: deque[str], count: int) -> str:
    lines = list(tail)[-count:]
    return scrub_paths("\n".join(lines)) if lines else "(no output on stderr)"
