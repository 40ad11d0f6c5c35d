"""Who this process is, and what it leaves behind (ADR 0071).

- :func:`instance_id`: a random id made once per process (a forked child gets a new one). It
  names lock holders and per-process directories: unlike hostname + PID it is unique across
  hosts and containers that share a hostname or a PID namespace.
- :func:`die_with_parent`: ``PR_SET_PDEATHSIG`` for children (ffmpeg, probe children, the
  embedded worker), so none outlives its parent, whatever way the parent ends (kill -9 too).
- :func:`own_tmp_dir` / :func:`sweep_stale_tmp`: each process writes its temporary files in
  ``<tmp>/p<pid>-<instance id>/``, holding an ``flock`` on a file inside for its whole life.
  At start every process removes the directories whose lock is free: their owner is gone
  (the kernel drops an ``flock`` when its holder dies, however it dies).

Standard library only: ``vidhost serve`` uses it before anything else is imported.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

log = logging.getLogger(__name__)
T = TypeVar("T")

_PR_SET_PDEATHSIG = 1
_LOCK_SUFFIX = ".lock"
_DIR_RE = re.compile(r"^p(\d+)-([0-9a-f]{16})$")
LEGACY_TMP_AGE = 24 * 3600.0
"""Loose entries directly in the tmp dir (written before per-process dirs) older than this
many seconds are swept too."""

_instance: str | None = None
_own_dirs: dict[Path, tuple[Path, int]] = {}
_lock = threading.Lock()


def instance_id() -> str:
    """16 hex digits, random, fixed for this process's life."""
    global _instance
    if _instance is None:
        _instance = secrets.token_hex(8)
    return _instance


def _after_fork() -> None:
    global _instance
    _instance = None
    _own_dirs.clear()


os.register_at_fork(after_in_child=_after_fork)


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str | None:
    """Start time (clock ticks after boot) of ``pid``, None when it does not exist."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    return stat.rpartition(")")[2].split()[19]


def _namespace() -> str:
    """Boot id + PID namespace: where a PID means the same process as here."""
    boot = _read("/proc/sys/kernel/random/boot_id").replace("-", "")[:12]
    try:
        pidns = os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        pidns = ""
    return f"{boot}.{pidns}" if boot and pidns else ""


def liveness_tag() -> str:
    """``<boot id>.<pid namespace>.<pid>.<start time>``: lets another process sharing this
    kernel and PID namespace tell, soundly, that this process has ended (see :func:`ended`).
    Elsewhere it says nothing (another container's PID 7 is another process)."""
    pid = os.getpid()
    return f"{_namespace()}.{pid}.{_start_time(pid) or ''}"


def ended(tag: str) -> bool:
    """True only when ``tag`` names a process of this kernel and PID namespace that is gone
    (its PID unused, or reused by a process started at another time)."""
    space, _, rest = tag.rpartition(".")
    space, _, pid_text = space.rpartition(".")
    if not space or space != _namespace() or not rest:
        return False
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    return _start_time(pid) != rest


def holder_name() -> str:
    """``<host>:<pid>:<instance id>``: names this process as the holder of a task claim."""
    return f"{socket.gethostname()}:{os.getpid()}:{instance_id()}"


def worker_node_name(name: str | None = None) -> str:
    """The Celery node name of a worker: ``--name``, else ``vidhost-worker@<host>.<pid>``.

    Celery's default (``celery@<host>``) is the same for every worker on a host, and its
    remote-control queue (``<node>.celery.pidbox``) is exclusive on RabbitMQ: the second
    worker dies with ``RESOURCE_LOCKED``.
    """
    if name:
        return name if "@" in name else f"{name}@{socket.gethostname()}"
    return f"vidhost-worker@{socket.gethostname()}.{os.getpid()}"


def _load_prctl() -> Callable[..., int] | None:
    try:
        return cast("Callable[..., int]", ctypes.CDLL(None, use_errno=True).prctl)
    except (OSError, AttributeError):  # not Linux
        return None


_prctl = _load_prctl()  # resolved here, never in a freshly forked child


def die_with_parent() -> None:
    """In a child (``preexec_fn``): SIGKILL when the parent thread dies; the signal is kept
    across ``exec``, so ffmpeg started through the sandbox launcher has it too. A child whose
    parent died before the call (it was reparented) exits at once."""
    if _prctl is None:
        return
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:
        os._exit(1)


def child_preexec(parent: int | None = None) -> Callable[[], None]:
    """A ``preexec_fn`` for a child of this process: :func:`die_with_parent`, and exit if
    the parent is no longer ``parent`` (it died between fork and prctl)."""
    expected = parent if parent is not None else os.getpid()

    def preexec() -> None:
        die_with_parent()
        if os.getppid() != expected:
            os._exit(1)

    return preexec


def renice(pid: int, nice: int) -> None:
    """Set the nice value of every thread of process ``pid`` (on Linux each thread has its
    own, and a running ffmpeg's encoder threads exist already). Best effort: a process or
    thread that is gone, or a system without ``/proc``, changes nothing."""
    try:
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        threads = [pid]
    for tid in threads:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, nice)


def run_niced(nice: int, work: Callable[[], T]) -> T:
    """Run ``work`` in a thread of its own at ``nice`` and return what it returns (or raise
    what it raises). On Linux nice is per thread, and the threads it starts (a decoder's)
    inherit it, so in-process work (PyAV) yields the cores as a niced ffmpeg does; the
    calling thread keeps its own. Best effort, as ``renice``."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        try:
            result.append(work())
        except BaseException as exc:  # handed to the caller
            failure.append(exc)

    thread = threading.Thread(target=run, name="niced", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def own_tmp_dir(base: Path) -> Path:
    """This process's directory under ``base``, created (and locked) on first use.

    The lock is ``<dir>.lock`` beside it, taken before the directory exists: a sweeper never
    sees a live process's directory unlocked, and the directory itself stays empty.
    """
    base = Path(base)
    with _lock:
        found = _own_dirs.get(base)
        if found is not None:
            return found[0]
        path = base / f"p{os.getpid()}-{instance_id()}"
        base.mkdir(parents=True, exist_ok=True)
        fd = os.open(_lock_path(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        path.mkdir(exist_ok=True)
        _own_dirs[base] = (path, fd)
        return path


def _lock_path(directory: Path) -> Path:
    return directory.with_name(directory.name + _LOCK_SUFFIX)


def owner_alive(directory: Path) -> bool:
    """Whether the process that made ``directory`` with :func:`own_tmp_dir` still runs
    (its lock is held). Sound on one machine, however the owner ended."""
    return _owner_alive(directory)


def _owner_alive(directory: Path) -> bool:
    try:
        fd = os.open(_lock_path(directory), os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False  # a per-process dir always has its lock file (see own_tmp_dir)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the lock we may have taken
    return False


def sweep_stale_tmp(base: Path, *, legacy_age: float = LEGACY_TMP_AGE) -> list[str]:
    """Remove the per-process dirs under ``base`` of processes that are gone; their names."""
    base = Path(base)
    own = {entry[0] for entry in _own_dirs.values()}
    removed: list[str] = []
    try:
        entries = list(base.iterdir())
    except FileNotFoundError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name.removesuffix(_LOCK_SUFFIX)
        if entry.with_name(name) in own:
            continue
        try:
            if _DIR_RE.match(name):
                if _owner_alive(entry.with_name(name)):
                    continue
            elif now - entry.lstat().st_mtime < legacy_age:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
                if _DIR_RE.match(name):
                    _lock_path(entry).unlink(missing_ok=True)
            elif entry.exists() or entry.is_symlink():
                entry.unlink(missing_ok=True)
            else:
                continue
        except FileNotFoundError:
            continue  # another process swept it first
        removed.append(entry.name)
    if removed:
        log.info("removed %d stale temporary entries from %s", len(removed), base)
    return removed
