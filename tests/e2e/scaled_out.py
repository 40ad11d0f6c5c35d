"""The scaled-out profile as an operator runs it (issue 11, docs/deploy.md), shared by every
scaled-out test of the session: PostgreSQL (a fresh database), a Redis broker (a queue of its
own), SeaweedFS S3 (a bucket of its own), two ``vidhost serve`` API nodes without embedded
workers and two ``vidhost worker`` processes, each process with its own data dir.

The commands (what docs/deploy.md describes)::

    VIDHOST_DATABASE_URL=postgresql://… VIDHOST_BROKER_URL=redis://…/0 VIDHOST_STORAGE=s3 \\
    VIDHOST_S3_ENDPOINT_URL=… VIDHOST_S3_BUCKET=… VIDHOST_JWT_SECRET=… \\
    VIDHOST_EMBEDDED_WORKER=false VIDHOST_DATA_DIR=node-a  vidhost serve --port …   # two of them
    … VIDHOST_DATA_DIR=worker-1  vidhost worker --name w1 --concurrency 1            # two of them
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg

from tests.e2e.ingest.conftest import BASE_ENV
from tests.pg import temporary_database
from tests.s3 import SeaweedS3, new_bucket
from tests.server import VIDHOST, ServerProcess

MIB = 1024 * 1024
REDIS = "redis://127.0.0.1:6379/0"

WORKER_ENV = {
    "VIDHOST_X264_PRESET": "ultrafast",
    "VIDHOST_LADDER_HEIGHTS": "[360, 240]",
    "VIDHOST_SEGMENT_SECONDS": "1",
    "VIDHOST_FIRST_CHUNK_SECONDS": "1",
    "VIDHOST_CHUNK_SECONDS": "2",
    "VIDHOST_LOG_LEVEL": "INFO",
}
"""Small chunks (1 s segments, 2 s chunks), one cheap ladder: many parts, little work."""


@dataclass
class Worker:
    name: str
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    command: Sequence[str] = VIDHOST
    """What runs vidhost (another venv's ``bin/vidhost``: run in ``data_dir`` then)."""
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.data_dir / f"{self.name}.log"

    def start(self, timeout: float = 60) -> Worker:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        mark = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.proc = subprocess.Popen(
            [*self.command, "worker", "--name", self.name, "--concurrency", "1"],
            env={**os.environ, **self.env, "VIDHOST_DATA_DIR": str(self.data_dir)},
            cwd=None if tuple(self.command) == VIDHOST else self.data_dir,
            stdout=open(self.log_path, "ab"),  # noqa: SIM115 - kept open for the child
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log(since=mark):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited:\n{self.log()[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"worker {self.name} did not start:\n{self.log()[-3000:]}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self, since: int = 0) -> str:
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as fh:
            fh.seek(since)
            return fh.read().decode(errors="replace")

    def encoders(self) -> list[psutil.Process]:
        """This worker's running ffmpeg processes that encode video (not the poster)."""
        if not self.alive():
            return []
        found = []
        for child in psutil.Process(self.pid).children(recursive=True):
            try:
                if "libx264" in child.cmdline():
                    found.append(child)
            except psutil.NoSuchProcess:
                continue
        return found

    def kill(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            assert self.proc is not None
            self.proc.wait()

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    a: ServerProcess
    b: ServerProcess
    env: dict[str, str]
    """The environment every node and worker shares (database, broker, storage, secret)."""
    db_url: str
    bucket: str
    s3: Any
    root: Path
    workers: list[Worker]

    # --- nodes and workers --------------------------------------------------------------

    def restart_a(self) -> None:
        if self.a.proc is None or self.a.proc.poll() is not None:
            self.a = ServerProcess(self.root / "node-a", self.env).start()

    def heal(self) -> None:
        """Start again every worker a test killed (a new process, the same data dir)."""
        for worker in self.workers:
            if not worker.alive():
                worker.start()

    def worker_of(self, pid: int) -> Worker | None:
        return next((w for w in self.workers if w.alive() and w.pid == pid), None)

    # --- the database -----------------------------------------------------------------------

    @contextmanager
    def sql(self) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(self.db_url.replace("+psycopg", ""), autocommit=True) as conn:
            yield conn

    def parts(self, video_id: str) -> list[dict[str, Any]]:
        """The chunk and audio task rows of a video: kind, part, status, attempts, holder pid,
        dispatches, error_code."""
        with self.sql() as conn:
            rows = conn.execute(
                "SELECT kind, part, status, attempts, holder, dispatches, error_code FROM tasks"
                " WHERE video_id = %s AND kind IN ('transcode_chunk', 'transcode_audio')"
                " ORDER BY kind, part",
                (video_id,),
            ).fetchall()
        return [
            {
                "kind": r[0],
                "part": r[1],
                "status": r[2],
                "attempts": r[3],
                "pid": int(r[4].split(":")[1]) if r[4] else None,
                "dispatches": r[5],
                "error_code": r[6],
            }
            for r in rows
        ]

    def wait_idle(self, timeout: float = 60) -> None:
        """Until no task is pending or processing (other tests' work is done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.sql() as conn:
                busy = conn.execute(
                    "SELECT count(*) FROM tasks WHERE status IN ('pending', 'processing')"
                    " AND kind <> 'transcode'"
                ).fetchone()
            if busy is not None and busy[0] == 0:
                return
            time.sleep(0.2)
        raise AssertionError("the cluster did not become idle")

    # --- storage (the tus tests) ------------------------------------------------------------

    def source(self, video_id: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=self.bucket, Key=f"videos/{video_id}/source")[
            "Body"
        ].read()
        return body

    def multipart_keys(self) -> set[str]:
        found = self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []) or []
        return {u["Key"] for u in found}

    def tails(self, upload_id: str) -> list[str]:
        found = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=f"uploads/tails/{upload_id}/")
        return [o["Key"] for o in found.get("Contents", [])]


@contextmanager
def scaled_out_cluster(seaweed: SeaweedS3, root: Path) -> Iterator[Cluster]:
    bucket = new_bucket()
    with temporary_database() as db_url:
        env = {
            **BASE_ENV,
            **seaweed.env(bucket),
            "VIDHOST_DATABASE_URL": db_url,
            "VIDHOST_BROKER_URL": REDIS,
            "VIDHOST_QUEUE": f"vidhost-scaled-{uuid.uuid4().hex[:8]}",
            "VIDHOST_UPLOAD_PART_SIZE": str(5 * MIB),
            # The defaults (ADR 0073), not the test server's shorter ones.
            "VIDHOST_TASK_STALE_AFTER": "5",
            "VIDHOST_RECONCILE_INTERVAL": "2",
        }
        a = ServerProcess(root / "node-a", env).start()
        b = ServerProcess(root / "node-b", env).start()
        workers = [
            Worker(name, root / f"worker-{i}", {**env, **WORKER_ENV})
            for i, name in enumerate(("w1", "w2"), start=1)
        ]
        cluster = Cluster(a, b, env, db_url, bucket, seaweed.client(), root, workers)
        try:
            for worker in workers:
                worker.start()
            yield cluster
        finally:
            for worker in cluster.workers:
                worker.stop()
            cluster.a.stop()
            cluster.b.stop()
