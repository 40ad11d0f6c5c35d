"""Cloudflare's ``scheduledDeletion`` takes effect (ADR 0094): the video is deleted by the
cleanup sweeper once its time comes, set at creation or by an edit, through the official
SDK. The 30-day minimum is a setting, here a few seconds, so the deletion is seen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cloudflare
import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV
from tests.e2e.providers.cloudflare.conftest import form_upload, sdk, wait_ready
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

MIN_SECONDS = 4
ENV = {
    **AUTH_ENV,
    "VIDHOST_LADDER_HEIGHTS": "[240]",
    "VIDHOST_CLOUDFLARE_MIN_SCHEDULED_DELETION": str(MIN_SECONDS),
    "VIDHOST_CLEANUP_INTERVAL": "1",
}


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("cf-deletion")
    proc = ServerProcess(data, env=ENV).start()
    yield proc
    proc.stop()


def gone(cf: cloudflare.Cloudflare, uid: str) -> bool:
    try:
        cf.stream.get(identifier=uid, account_id="alice")
    except cloudflare.NotFoundError:
        return True
    return False


def test_videos_are_deleted_when_their_scheduled_deletion_comes(
    quick: ServerProcess, tmp_path: Path
) -> None:
    cf = sdk(quick)
    clip = make_clip(tmp_path / "clip.mp4", duration=2, width=160, height=120)
    at = datetime.now(UTC) + timedelta(seconds=MIN_SECONDS + 20)
    scheduled = cf.stream.direct_upload.create(
        account_id="alice", max_duration_seconds=60, scheduled_deletion=at.isoformat()
    )
    kept = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert scheduled is not None and kept is not None
    for upload in (scheduled, kept):
        assert upload.upload_url and form_upload(upload.upload_url, clip).status_code == 200
        assert wait_ready(cf, "alice", upload.uid or "").ready_to_stream
    hls = f"{quick.url}/{scheduled.uid}/manifest/video.m3u8"
    assert httpx.get(hls).status_code == 200
    # an edit schedules the other one (sooner than the minimum is refused)
    with pytest.raises(cloudflare.BadRequestError):
        cf.stream.edit(
            kept.uid or "",
            account_id="alice",
            scheduled_deletion=datetime.now(UTC).isoformat(),
        )
    edited_at = datetime.now(UTC) + timedelta(seconds=MIN_SECONDS + 2)
    edited = cf.stream.edit(kept.uid or "", account_id="alice", scheduled_deletion=edited_at)
    assert edited is not None and edited.scheduled_deletion is not None
    assert not gone(cf, scheduled.uid or "")  # not before its time
    deadline = time.monotonic() + MIN_SECONDS + 30
    while time.monotonic() < deadline and not (
        gone(cf, scheduled.uid or "") and gone(cf, kept.uid or "")
    ):
        time.sleep(0.5)
    assert gone(cf, scheduled.uid or "") and gone(cf, kept.uid or "")
    assert datetime.now(UTC) >= at
    assert httpx.get(hls).status_code == 404
