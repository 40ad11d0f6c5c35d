"""Recovery in seconds (issue 11 item 4, ADR 0073) on the session's scaled-out deployment
(``tests/e2e/scaled_out.py``: PostgreSQL, Redis, SeaweedFS S3, two API nodes, two workers),
and the embedded broker's redelivery of a killed worker's message."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, upload, wait_for_ladder
from tests.e2e.ingest.conftest import token
from tests.e2e.scaled_out import WORKER_ENV, Cluster, Worker
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
ALICE = {"Authorization": f"Bearer {token('alice')}"}
SUCCEEDED = re.compile(r"Task vidhost\.run_task\[[^\]]+\] succeeded in ([0-9.]+)s")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s of noisy 640x360 with a tone: five chunks (1 s, then 2 s each) and the audio."""
    return make_clip(
        tmp_path_factory.mktemp("recovery") / "noisy.mp4",
        duration=8,
        width=640,
        height=360,
        extra_args=["-vf", "noise=alls=40:allf=t"],
    )


@pytest.fixture
def cluster(scaled_out: Cluster) -> Iterator[Cluster]:
    scaled_out.wait_idle()
    yield scaled_out
    scaled_out.heal()  # a killed worker comes back for the next test


def _encoding(workers: list[Worker], at_least: float = 0.05) -> tuple[Worker, psutil.Process]:
    """The first worker found encoding a chunk, with its ffmpeg, once that has run a moment."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for worker in workers:
            for proc in worker.encoders():
                try:
                    if time.time() - proc.create_time() >= at_least:
                        return worker, proc
                except psutil.NoSuchProcess:
                    continue
        time.sleep(0.01)
    raise AssertionError("no worker started encoding a chunk")


def _chunk_of(proc: psutil.Process, video_id: str) -> int:
    found = re.search(rf"chunk-{video_id}-(\d+)-", " ".join(proc.cmdline()))
    assert found, proc.cmdline()
    return int(found.group(1))


def test_two_workers_encode_chunks_of_the_same_video(cluster: Cluster, clip: Path) -> None:
    video_id = upload(cluster.a.url, clip, ALICE)
    status = wait_for_ladder(cluster.b.url, video_id, ALICE, timeout=120)
    assert status["state"] == "ready", status
    chunks = [p for p in cluster.parts(video_id) if p["kind"] == "transcode_chunk"]
    assert len(chunks) == 5 and all(p["status"] == "completed" for p in chunks), chunks
    assert {p["pid"] for p in chunks} == {w.pid for w in cluster.workers}, chunks
    assert all(p["dispatches"] == 1 for p in cluster.parts(video_id))  # no duplicate sent
    host = os.uname().nodename
    for worker in cluster.workers:  # two workers on one host, each with its own node name
        assert f"{worker.name}@{host} ready." in worker.log()
        # a standalone worker says which data dir it works on (issue 24)
        assert f"vidhost: data dir {worker.data_dir} (VIDHOST_DATA_DIR)" in worker.log()


def test_kill_9_of_a_worker_mid_chunk_ready_within_10_s_plus_the_work_left(
    cluster: Cluster, clip: Path
) -> None:
    video_id = upload(cluster.a.url, clip, ALICE)
    victim, ffmpeg = _encoding(cluster.workers)
    survivor = next(w for w in cluster.workers if w is not victim)
    mark = survivor.log_path.stat().st_size
    victim.kill()
    killed_at = time.monotonic()
    # Its rows still held once it is dead: the chunk(s) the kill interrupted.
    held = [
        p for p in cluster.parts(video_id) if p["pid"] == victim.pid and p["status"] == "processing"
    ]
    _gone, alive = psutil.wait_procs([ffmpeg], timeout=5)
    assert not alive, "the killed worker's ffmpeg is still running"
    status = wait_for_ladder(cluster.b.url, video_id, ALICE, timeout=120)
    elapsed = time.monotonic() - killed_at
    assert status["state"] == "ready", status
    assert held, "the kill interrupted no chunk"
    # The work left: what the survivor ran after the kill (one task at a time).
    work = sum(float(s) for s in SUCCEEDED.findall(survivor.log(since=mark)))
    assert elapsed <= 10 + work, (elapsed, work)
    after = {(p["kind"], p["part"]): p for p in cluster.parts(video_id)}
    for p in held:
        row = after[(p["kind"], p["part"])]
        assert row["status"] == "completed" and row["pid"] == survivor.pid, row
        assert row["attempts"] >= 2, row
    # Nothing of the killed worker's outlives it. The survivor may be measuring the stored
    # ladder by now (the quality_measurement task's ffmpeg, ADR 0045): its own child is fine.
    assert not _orphans(video_id, survivor.pid)


def test_kill_9_of_ffmpeg_mid_chunk_runs_the_chunk_again(cluster: Cluster, clip: Path) -> None:
    video_id = upload(cluster.a.url, clip, ALICE)
    worker, ffmpeg = _encoding(cluster.workers)
    chunk = _chunk_of(ffmpeg, video_id)
    mark = worker.log_path.stat().st_size
    os.kill(ffmpeg.pid, signal.SIGKILL)
    status = wait_for_ladder(cluster.b.url, video_id, ALICE, timeout=120)
    assert status["state"] == "ready", status  # not a media failure of the video
    row = next(
        p for p in cluster.parts(video_id) if p["kind"] == "transcode_chunk" and p["part"] == chunk
    )
    assert row["status"] == "completed" and row["attempts"] >= 2 and row["error_code"] is None
    assert f"transcode_chunk {chunk} for {video_id} was interrupted; queued again" in worker.log(
        since=mark
    )


def test_the_reconcilers_of_two_api_nodes_send_a_lost_task_once(
    cluster: Cluster, clip: Path
) -> None:
    video_id = upload(cluster.a.url, clip, ALICE)
    status = wait_for_ladder(cluster.b.url, video_id, ALICE, timeout=120)
    assert status["state"] == "ready", status
    cluster.wait_idle()
    # A task whose message was lost an hour ago (never sent; the queue is empty).
    with cluster.sql() as conn:
        row = conn.execute(
            "UPDATE tasks SET status = 'pending', dispatched_at = now() - interval '1 hour'"
            " WHERE video_id = %s AND kind = 'transcode_chunk' AND part = 1 RETURNING dispatches",
            (video_id,),
        ).fetchone()
    assert row is not None
    before = row[0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        part = next(p for p in cluster.parts(video_id) if p["part"] == 1)
        if part["status"] == "completed":
            break
        time.sleep(0.2)
    assert part["status"] == "completed", part
    time.sleep(5)  # more passes of both reconcilers: nothing is sent again
    part = next(p for p in cluster.parts(video_id) if p["part"] == 1)
    assert part["dispatches"] == before + 1, part
    line = f"re-dispatched transcode_chunk 1 for {video_id}"
    assert [line in node.log() for node in (cluster.a, cluster.b)].count(True) == 1


@pytest.mark.parametrize("broker", ["embedded", "rabbitmq"])
def test_a_redelivered_message_while_the_heartbeat_is_fresh_takes_the_chunk_over(
    broker: str, tmp_path: Path, clip: Path
) -> None:
    """Two workers of one broker that redelivers (the embedded SQLite transport: the dead
    consumer's rows; RabbitMQ: on connection close): the killed worker's unacked message
    reaches the other worker while the dead holder's heartbeat is still fresh; that worker
    waits for it to go stale and takes the chunk over. No reconciler copy is needed (one
    dispatch); before ADR 0073 the message was skipped and acked, and only the reconciler
    recovered the chunk."""
    env = {
        **AUTH_ENV,
        **({"VIDHOST_BROKER_URL": RABBITMQ} if broker == "rabbitmq" else {}),
        "VIDHOST_QUEUE": f"vidhost-redelivery-{uuid.uuid4().hex[:8]}",
        "VIDHOST_EMBEDDED_WORKER": "false",
        # The other worker frees its slot (one chunk) well before the holder is stale.
        "VIDHOST_TASK_STALE_AFTER": "10",
        "VIDHOST_RECONCILE_INTERVAL": "2",
    }
    data = tmp_path / "data"
    server = ServerProcess(data, env).start()
    workers = [Worker(name, data, {**env, **WORKER_ENV}) for name in ("e1", "e2")]
    try:
        for worker in workers:
            worker.start()
        alice = auth("alice")
        video_id = upload(server.url, clip, alice)
        victim, ffmpeg = _encoding(workers)
        other = next(w for w in workers if w is not victim)
        chunk = _chunk_of(ffmpeg, video_id)
        victim.kill()
        status = wait_for_ladder(server.url, video_id, alice, timeout=120)
        assert status["state"] == "ready", (status, server.log())
        log = other.log()
        if broker == "embedded":
            assert "message(s) of dead consumers" in log, log[-4000:]
        assert f"transcode_chunk {chunk} for {video_id}: holder gone, taken over" in log, log[
            -4000:
        ]
        assert "re-dispatched" not in server.log_path.read_text()  # no reconciler copy
        with sqlite3.connect(data / "vidhost.db") as conn:
            row = conn.execute(
                "SELECT status, attempts, dispatches FROM tasks WHERE video_id = ?"
                " AND kind = 'transcode_chunk' AND part = ?",
                (video_id, chunk),
            ).fetchone()
        assert row == ("completed", 2, 1), row  # one message, two claims
    finally:
        for worker in workers:
            worker.stop()
        server.stop()


def _orphans(video_id: str, keep: int) -> list[psutil.Process]:
    """Processes working on ``video_id`` that are not descendants of the process ``keep``."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if video_id not in " ".join(p.info["cmdline"] or []):
            continue
        try:
            if keep not in {a.pid for a in p.parents()}:
                found.append(p)
        except psutil.NoSuchProcess:
            continue
    return found
