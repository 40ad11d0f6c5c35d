"""Process identity (ADR 0071): node names, instance ids, liveness tags."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

from vidhost.media.process import (
    ended,
    instance_id,
    liveness_tag,
    run_niced,
    worker_node_name,
)


def test_worker_node_names_are_unique_per_process_or_given() -> None:
    host = socket.gethostname()
    assert worker_node_name() == f"vidhost-worker@{host}.{os.getpid()}"
    assert worker_node_name("encoder") == f"encoder@{host}"
    assert worker_node_name("a@b") == "a@b"


def test_instance_id_is_random_per_process_and_new_after_fork() -> None:
    mine = instance_id()
    assert len(mine) == 16 and mine == instance_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, instance_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 64).decode() not in ("", mine)


def test_liveness_tag_tells_an_ended_process_only_where_pids_are_comparable() -> None:
    assert not ended(liveness_tag())  # this process runs
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from vidhost.media.process import liveness_tag; print(liveness_tag())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ended(out.stdout.strip())  # that process has exited
    space, pid, _start = liveness_tag().rsplit(".", 2)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        with open(f"/proc/{sleeper.pid}/stat") as fh:
            start = fh.read().rpartition(")")[2].split()[19]
        assert not ended(f"{space}.{sleeper.pid}.{start}")  # running
        assert ended(f"{space}.{sleeper.pid}.{int(start) + 1}")  # PID reused by another
    finally:
        sleeper.kill()
        sleeper.wait()
    # Another kernel or PID namespace: its PIDs say nothing here.
    assert not ended(f"000000000000.4026531836.{pid}.1")
    assert not ended("garbage")


def test_run_niced_runs_the_work_in_a_thread_at_that_nice_and_hands_back_its_outcome() -> None:
    """In-process decoding (the metadata analysis, PyAV) yields the cores as a niced ffmpeg
    does: its thread, and the threads it starts, run at the nice given; the caller's is
    unchanged."""

    def nice_of_this_thread() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def started_thread_nice() -> int:
        seen: list[int] = []
        child = threading.Thread(target=lambda: seen.append(nice_of_this_thread()))
        child.start()
        child.join()
        return seen[0]

    before = nice_of_this_thread()
    assert run_niced(19, nice_of_this_thread) == 19
    assert run_niced(19, started_thread_nice) == 19  # a decoder's threads inherit it
    assert nice_of_this_thread() == before

    def fails() -> int:
        raise ValueError("broken")

    try:
        run_niced(19, fails)
    except ValueError as exc:
        assert str(exc) == "broken"
    else:
        raise AssertionError("the work's exception is raised to the caller")
