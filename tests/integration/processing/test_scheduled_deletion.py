"""The ``delete_at`` sweeper (ADR 0094) over the real database and storage: it deletes a
video whose time has come, as ``DELETE`` does, and nothing else; a lifted schedule or one
still ahead keeps the video; ``--dry-run`` only reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from vidhost.app.container import Container
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.core.layout import source_key
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import utcnow
from vidhost.processing.scheduled_deletion import REASON
from vidhost.processing.sweepers import Removal, run_sweepers


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    c = build_container(
        Settings(data_dir=tmp_path / "data", jwt_secret="deletion-test-secret-0123456789abcdef")
    )
    yield c
    c.close()


def test_due_videos_are_deleted_and_nothing_else(container: Container) -> None:
    videos = container.videos
    now = utcnow()
    due = videos.create_pending(owner="alice")
    ahead = videos.create_pending(owner="alice")
    lifted = videos.create_pending(owner="alice")
    plain = videos.create_pending(owner="alice")
    container.storage.put_bytes(source_key(due.id), b"bytes")
    videos.update(due.id, delete_at=now - timedelta(seconds=1))
    videos.update(ahead.id, delete_at=now + timedelta(hours=1))
    videos.update(lifted.id, delete_at=now - timedelta(seconds=1))
    videos.update(lifted.id, delete_at=None)

    dry = run_sweepers(container.sweepers, dry_run=True)
    assert Removal("video", due.id, REASON) in dry
    assert videos.get(due.id).state is VideoState.CREATED  # only reported

    removed = [r for r in run_sweepers(container.sweepers) if r.reason == REASON]
    assert removed == [Removal("video", due.id, REASON)]
    found = videos.find(due.id)
    assert found is not None and found.state is VideoState.DELETED
    with pytest.raises(FileNotFoundError):
        container.storage.stat(source_key(due.id))  # its objects went with it
    for kept in (ahead, lifted, plain):
        assert videos.get(kept.id).state is VideoState.CREATED
    assert not [r for r in run_sweepers(container.sweepers) if r.reason == REASON]
