"""Crash safety and the cross-process write lock, with real server processes."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.e2e.ingest.conftest import (
    OCTETS,
    client,
    create,
    patch,
    sha256,
    source_path,
    start_server,
    video_bytes,
)


def slow_body(data: bytes, piece: int, pause: float, sent: list[int]) -> Iterator[bytes]:
    for i in range(0, len(data), piece):
        chunk = data[i : i + piece]
        sent[0] += len(chunk)
        yield chunk
        time.sleep(pause)


def test_kill_9_mid_patch_then_resume_is_byte_identical(tmp_path: Path):
    data = video_bytes(6 * 1024 * 1024 + 12345)
    first = 2 * 1024 * 1024
    data_dir = tmp_path / "d"
    server = start_server(data_dir)
    with client(server) as c:
        url = create(c, len(data))
        assert patch(c, url, 0, data[:first]).status_code == 204
        upload_id = url.rsplit("/", 1)[1]
        sent = [0]
        errors: list[BaseException] = []

        def send() -> None:
            try:
                patch(c, url, first, slow_body(data[first:], 256 * 1024, 0.05, sent))  # type: ignore[arg-type]
            except httpx.HTTPError as exc:
                errors.append(exc)

        t = threading.Thread(target=send)
        t.start()
        part = data_dir / "uploads" / upload_id
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and part.stat().st_size < first + 1024 * 1024:
            time.sleep(0.02)
        assert part.stat().st_size > first  # bytes of the interrupted PATCH reached the disk
        server.kill()  # SIGKILL mid-PATCH
        t.join(timeout=30)
        assert errors, "the interrupted PATCH must not have succeeded"

    server = start_server(data_dir)
    try:
        with client(server) as c:
            url = f"{server.url}/api/v1/videos/tus/{upload_id}"
            head = c.head(url)
            assert head.status_code == 200
            offset = int(head.headers["upload-offset"])
            assert offset == first  # the committed offset, never ahead of durable bytes
            # The dead process's lock is taken over at once (same host, pid gone).
            r = patch(c, url, offset, data[offset:])
            assert r.status_code == 204, r.text
            assert r.headers["upload-offset"] == str(len(data))
            video_id = r.headers["vidhost-video-id"]
            assert sha256(source_path(server, video_id)) == hashlib.sha256(data).hexdigest()
    finally:
        server.stop()


def test_lock_holds_across_two_server_processes(tmp_path: Path):
    data = video_bytes(3 * 1024 * 1024)
    data_dir = tmp_path / "shared"
    a = start_server(data_dir)
    b = start_server(data_dir)  # same database and upload dir, another process
    try:
        with client(a) as ca, client(b) as cb:
            url_a = create(ca, len(data))
            upload_path = url_a.removeprefix(a.url)
            sent = [0]
            result: dict[str, httpx.Response] = {}

            def slow() -> None:
                result["a"] = ca.patch(
                    upload_path,
                    headers={"Upload-Offset": "0", "Content-Type": OCTETS},
                    content=slow_body(data, 128 * 1024, 0.1, sent),
                )

            t = threading.Thread(target=slow)
            t.start()
            while sent[0] < 256 * 1024:
                time.sleep(0.02)
            time.sleep(0.3)
            # Process B: the same upload is being written by process A.
            losers = [
                patch(cb, upload_path, 0, b"x" * 1000),
                cb.delete(upload_path),
                cb.post("/api/v1/videos/upload/complete", json={"upload_id": upload_path[-32:]}),
            ]
            assert losers[0].status_code == 423
            assert losers[0].json()["code"] == "upload_locked"
            assert losers[1].status_code == 423
            assert losers[2].status_code in (409, 423)
            t.join(timeout=60)
            assert result["a"].status_code == 204, result["a"].text
            head = cb.head(upload_path)
            assert head.headers["upload-offset"] == str(len(data))
            video_id = head.headers["vidhost-video-id"]
            assert sha256(source_path(a, video_id)) == hashlib.sha256(data).hexdigest()
    finally:
        a.stop()
        b.stop()


def test_memory_is_constant_whatever_the_chunk_size(tmp_path: Path):
    """A 200 MiB PATCH grows the server's RSS by far less than the chunk."""
    import psutil

    server = start_server(tmp_path / "d")
    try:
        size = 200 * 1024 * 1024
        block = os.urandom(1024 * 1024)

        def body() -> Iterator[bytes]:
            for _ in range(size // len(block)):
                yield block

        proc = psutil.Process(server.proc.pid)  # type: ignore[union-attr]
        with client(server) as c:
            url = create(c, size)
            before = proc.memory_info().rss
            peak = [before]
            done = threading.Event()

            def watch() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], proc.memory_info().rss)
                    time.sleep(0.01)

            w = threading.Thread(target=watch)
            w.start()
            r = c.patch(url, headers={"Upload-Offset": "0", "Content-Type": OCTETS}, content=body())
            done.set()
            w.join()
            assert r.status_code == 204
            assert peak[0] - before < 48 * 1024 * 1024, (peak[0] - before) / 1024 / 1024
    finally:
        server.stop()
