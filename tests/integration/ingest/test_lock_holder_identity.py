"""The upload lock's holder is a random per-process instance id (ADR 0071): a holder that
merely looks like a dead process of this host (same hostname, unused PID: another container)
keeps its lock until it expires; one that really ended on this kernel loses it at once."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, update

from vidhost.adapters.db.engine import make_engine, migrate
from vidhost.adapters.db.tables import uploads
from vidhost.core.models import utcnow
from vidhost.core.upload_models import Upload
from vidhost.ingest.tus.locks import UploadLocks, new_token
from vidhost.ingest.tus.repository import UploadRepository
from vidhost.media.process import instance_id


def _engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    migrate(engine)
    return engine


def _held_by(engine: Engine, token: str) -> str:
    now = utcnow()
    upload = Upload(
        id="b" * 32,
        owner="alice",
        created_at=now,
        expires_at=now + timedelta(hours=1),
        length=10,
        metadata={},
    )
    UploadRepository(engine).add(upload)
    with engine.begin() as conn:
        conn.execute(
            update(uploads)
            .where(uploads.c.id == upload.id)
            .values(lock_owner=token, lock_expires_at=now + timedelta(seconds=60))
        )
    return upload.id


def test_token_names_the_process_by_its_instance_id() -> None:
    token = new_token()
    assert token.startswith(instance_id() + ":")
    assert len(token) <= 128  # fits uploads.lock_owner
    assert new_token() != token


def test_a_look_alike_of_a_dead_local_process_keeps_its_lock(tmp_path: Path) -> None:
    import socket

    engine = _engine(tmp_path)
    # What the old scheme wrote for another container with this hostname and a PID unused
    # here: it was taken for dead and its lock stolen.
    upload_id = _held_by(engine, f"{socket.gethostname()}:999999:{'0' * 32}")
    assert UploadLocks(engine, ttl=30).acquire(upload_id) is None
    engine.dispose()


def test_a_holder_that_ended_on_this_kernel_loses_its_lock_at_once(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from vidhost.ingest.tus.locks import new_token; print(new_token())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    upload_id = _held_by(engine, out.stdout.strip())  # that process has exited
    assert UploadLocks(engine, ttl=30).acquire(upload_id) is not None
    engine.dispose()
