"""The Cloudflare surface on the scaled-out profile: S3 storage (SeaweedFS) and PostgreSQL.

Both ways in (the form ``uploadURL`` and tus through the S3 upload store), then playback of
``playback.hls`` with ffmpeg's HLS client; nothing goes through the data dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tusclient import client as tus_client

from tests.e2e.helpers import AUTH_ENV
from tests.e2e.providers.cloudflare.conftest import form_upload, play_hls, sdk, token, wait_ready
from tests.pg import temporary_database
from tests.s3 import SeaweedS3
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scaled(seaweed: SeaweedS3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with temporary_database() as url:
        env = {
            **AUTH_ENV,
            **seaweed.env(),
            "VIDHOST_DATABASE_URL": url,
            "VIDHOST_LADDER_HEIGHTS": "[240]",
        }
        server = ServerProcess(tmp_path_factory.mktemp("cf-scaled"), env).start()
        yield server
        server.stop()


def test_form_and_tus_uploads_play_on_s3_and_postgresql(
    scaled: ServerProcess, clip: Path, tmp_path: Path
) -> None:
    cf = sdk(scaled)
    upload = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert upload is not None and upload.uid and upload.upload_url
    assert form_upload(upload.upload_url, clip).status_code == 200

    endpoint = f"{scaled.url}/client/v4/accounts/alice/stream"
    tus = tus_client.TusClient(endpoint, headers={"Authorization": f"Bearer {token('alice')}"})
    uploader = tus.uploader(str(clip), chunk_size=32 * 1024, metadata={"name": "s3.mp4"})
    uploader.upload()
    assert uploader.url is not None

    form_video = wait_ready(cf, "alice", upload.uid)
    tus_videos = [v for v in cf.stream.list(account_id="alice", search="s3.mp4")]
    assert len(tus_videos) == 1
    tus_video = wait_ready(cf, "alice", str(tus_videos[0].uid))
    for n, video in enumerate((form_video, tus_video)):
        assert video.ready_to_stream is True and video.size == clip.stat().st_size
        assert video.playback is not None and video.playback.hls is not None
        seconds, _, _ = play_hls(video.playback.hls, tmp_path / f"{n}.ts")
        assert seconds == pytest.approx(2.0, abs=0.1)
    media = [p for p in (scaled.data_dir / "storage").rglob("*") if p.is_file()]
    assert media == []
