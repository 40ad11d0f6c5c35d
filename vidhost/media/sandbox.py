"""Running code that reads untrusted media in a bounded child process (ADR 0051).

:func:`probe_isolated` probes in a fresh Python child instead of the calling (API or
worker) process: a hostile file may make the demuxer loop, allocate without end or open
file after file, and none of that may reach the caller. The child is started through a
stdlib-only launcher that limits it before Python and PyAV load: address space
(``RLIMIT_AS``), open files (``RLIMIT_NOFILE``), CPU time, no file writes
(``RLIMIT_FSIZE`` 0) and, where the kernel lets the process create one, an empty network
namespace (the ``file``-only protocol allow-list already keeps every network protocol out).
It runs in ``/`` with a minimal environment and answers one JSON document on stdout.

:func:`limited_command` gives an ffmpeg command the same limits through that launcher,
which sets them and then execs ffmpeg.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from vidhost.media.errors import PROBE_FAILED, PROBE_TIMEOUT, MediaError
from vidhost.media.probe import MediaInfo, info_from_json
from vidhost.media.probe_limits import MediaLimits
from vidhost.media.process import child_preexec

MIB: Final = 1024 * 1024
_MAX_OUTPUT: Final = 4 * MIB
CLONE_NEWUSER: Final = 0x10000000
CLONE_NEWNET: Final = 0x40000000


@dataclass(frozen=True)
class ProcessLimits:
    """Bounds for a child that reads untrusted media. ``None`` leaves a limit unset."""

    timeout: float = 30.0
    """Wall-clock seconds before the child is killed (CPU time: that on every core)."""
    memory_bytes: int | None = 512 * MIB
    """Address space (``RLIMIT_AS``)."""
    max_files: int | None = 64
    """Open file descriptors (``RLIMIT_NOFILE``)."""
    max_file_bytes: int | None = None
    """Largest file the child may write (``RLIMIT_FSIZE``); 0 for a probe."""
    no_network: bool = True
    """Run in a new, empty network namespace when the kernel allows it."""
    nice: int = 0
    """Added to the child's nice value: work nobody waits for yields the cores (ADR 0062)."""

    def rlimits(self) -> dict[str, int]:
        # CPU seconds add up over threads: allow every core busy for the whole timeout.
        limits = {"RLIMIT_CPU": math.ceil(self.timeout) * (os.cpu_count() or 1) + 1}
        if self.memory_bytes is not None:
            limits["RLIMIT_AS"] = self.memory_bytes
        if self.max_files is not None:
            limits["RLIMIT_NOFILE"] = self.max_files
        if self.max_file_bytes is not None:
            limits["RLIMIT_FSIZE"] = self.max_file_bytes
        return limits


def task_limits(timeout: float, *, nice: int = 0) -> ProcessLimits:
    """For ffmpeg runs of background tasks: no network, bounded descriptors and time; memory
    left to the worker's sizing (a 1080p ladder needs several GB of address space).
    ``nice``: how far below the work a viewer waits for this run is scheduled."""
    return ProcessLimits(timeout=timeout, memory_bytes=None, max_files=256, nice=nice)


_LAUNCHER: Final = f"""\
import ctypes, json, os, resource, sys
spec = json.loads(sys.argv[1])
for name, value in spec["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (value, value))
if spec["no_network"]:
    libc = ctypes.CDLL(None, use_errno=True)
    # root keeps its own user namespace (and so its file access); others need a new one
    tries = [{CLONE_NEWNET}] if os.geteuid() == 0 else []
    for flags in tries + [{CLONE_NEWUSER} | {CLONE_NEWNET}]:
        if libc.unshare(flags) == 0:
            break
if spec.get("nice"):
    os.nice(spec["nice"])
os.execv(sys.argv[2], sys.argv[2:])
"""


def limited_command(argv: list[str], limits: ProcessLimits) -> list[str]:
    """``argv`` run under ``limits`` (the caller still enforces ``limits.timeout``)."""
    spec = json.dumps(
        {"rlimits": limits.rlimits(), "no_network": limits.no_network, "nice": limits.nice}
    )
    return [sys.executable, "-S", "-c", _LAUNCHER, spec, *argv]


def _child_env() -> dict[str, str]:
    paths = [os.path.abspath(p) for p in sys.path if p]
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(paths),
        "LANG": "C.UTF-8",
    }


def probe_isolated(
    path: str | os.PathLike[str],
    *,
    media_limits: MediaLimits | None = None,
    limits: ProcessLimits | None = None,
    decode_check: bool = True,
    format_name: str | None = None,
) -> MediaInfo:
    """:func:`vidhost.media.probe.probe` in a bounded child process.

    Raises what ``probe`` raises (:class:`MediaError` with the probe's code, or
    ``FileNotFoundError``), plus ``probe_timeout`` (killed after ``limits.timeout``) and
    ``probe_failed`` (the child crashed, was killed, ran out of memory or files).
    """
    limits = limits or ProcessLimits(max_file_bytes=0)
    source = Path(path).resolve()
    source.stat()  # FileNotFoundError here, not as a child failure
    request: dict[str, Any] = {
        "path": str(source),
        "decode_check": decode_check,
        "format_name": format_name,
        "media_limits": asdict(media_limits) if media_limits is not None else None,
    }
    try:
        done = subprocess.run(
            limited_command([sys.executable, "-m", "vidhost.media._probe_child"], limits),
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=limits.timeout,
            cwd="/",
            env=_child_env(),
            check=False,
            preexec_fn=child_preexec(),
        )
    except subprocess.TimeoutExpired:
        raise MediaError(
            PROBE_TIMEOUT, f"Reading the file took longer than {limits.timeout:g} s."
        ) from None
    except OSError as exc:
        raise MediaError(PROBE_FAILED, f"The probe could not start ({exc.strerror}).") from None
    answer = _answer(done.stdout) if len(done.stdout) <= _MAX_OUTPUT else None
    if answer is None:
        reason = f"signal {-done.returncode}" if done.returncode < 0 else "no result"
        raise MediaError(
            PROBE_FAILED, f"The file could not be read within the probe's limits ({reason})."
        )
    if "error" in answer:
        error = answer["error"]
        if error["code"] == "file_not_found":
            raise FileNotFoundError(str(path))
        raise MediaError(str(error["code"]), str(error["message"]))
    return info_from_json(answer["info"])


def _answer(stdout: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    if not isinstance(data, dict) or not ({"error", "info"} & data.keys()):
        return None
    return data
