"""Other deployment profiles and the operator surface: PostgreSQL + Redis/RabbitMQ with a
separate worker process, auth disabled, CLI token, docs endpoints, storage failure."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, SECRET, auth, tmp_files, upload, wait_for_state
from tests.pg import temporary_database
from vidhost.core.error_codes import CATALOGUE

pytestmark = pytest.mark.e2e

BROKERS = {
    "redis": "redis://127.0.0.1:6379/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_scaled_out_profile_postgres_broker_and_separate_worker(
    broker: str, server_factory, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=2, width=320, height=240)
    with temporary_database() as db_url:
        env = {
            **AUTH_ENV,
            "VIDHOST_DATABASE_URL": db_url,
            "VIDHOST_BROKER_URL": BROKERS[broker],
            "VIDHOST_QUEUE": f"vidhost-test-{uuid.uuid4().hex[:8]}",
            "VIDHOST_EMBEDDED_WORKER": "false",
        }
        api = server_factory(env=env)
        # The worker runs as its own process with its own data dir: it shares only the
        # database, the broker and (here, local) storage root with the API.
        worker_env = {
            **os.environ,
            **env,
            "VIDHOST_DATA_DIR": str(api.data_dir),
            "VIDHOST_X264_PRESET": "ultrafast",
            "VIDHOST_LADDER_HEIGHTS": "[240]",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "vidhost", "worker"],
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            alice = auth("alice")
            video_id = upload(api.url, clip, alice)
            status = wait_for_state(api.url, video_id, alice, {"ready", "failed"})
            assert status["state"] == "ready", (status, api.log())
            assert httpx.get(status["playbackUrl"]).status_code == 200
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            api.stop()


def test_auth_none_needs_no_token(server_factory, tmp_path: Path) -> None:
    api = server_factory(env={"VIDHOST_AUTH": "none", "VIDHOST_EMBEDDED_WORKER": "false"})
    clip = make_clip(tmp_path / "clip.mp4", duration=1, width=160, height=120)
    video_id = upload(api.url, clip, {})
    details = httpx.get(f"{api.url}/api/videos/{video_id}").json()
    assert details["owner"] == "anonymous"


def test_cli_token_is_accepted_and_secret_is_kept(server_factory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    api = server_factory(env={"VIDHOST_EMBEDDED_WORKER": "false"}, data_dir=data)
    secret_file = data / "jwt_secret"
    assert secret_file.exists() and len(secret_file.read_text()) >= 32
    env = {**os.environ, "VIDHOST_DATA_DIR": str(data)}
    token = subprocess.run(
        [sys.executable, "-m", "vidhost", "token", "--user", "carol"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    clip = make_clip(tmp_path / "clip.mp4", duration=1, width=160, height=120)
    video_id = upload(api.url, clip, {"Authorization": f"Bearer {token}"})
    details = httpx.get(
        f"{api.url}/api/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert details.json()["owner"] == "carol"
    # A token signed with another secret is refused.
    r = httpx.get(f"{api.url}/api/videos/{video_id}", headers=auth("carol"))
    assert (r.status_code, r.json()["code"]) == (401, "invalid_token")
    assert secret_file.read_text() != SECRET


def test_health_openapi_and_docs(server) -> None:
    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    spec = httpx.get(server.url + "/openapi.json").json()
    for path in (
        "/upload",
        "/stream/ready",
        "/stream/{video_id}/manifest",
        "/stream/{video_id}/segment/{segment_id}",
        "/api/videos/{video_id}",
        "/api/videos/{video_id}/status",
    ):
        assert path in spec["paths"], path
    status_schema = spec["components"]["schemas"]["VideoStatus"]["properties"]
    assert {"state", "progress", "renditions", "playbackUrl", "thumbnailUrl"} <= set(status_schema)
    docs = httpx.get(server.url + "/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_storage_failure_is_a_json_500_and_keeps_nothing(server_factory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    api = server_factory(env={**AUTH_ENV, "VIDHOST_EMBEDDED_WORKER": "false"}, data_dir=data)
    # Break the storage backend for real: where it must create a directory there is a file.
    (data / "storage" / "videos").write_text("not a directory")
    clip = make_clip(tmp_path / "clip.mp4", duration=1, width=160, height=120)
    with open(clip, "rb") as fh:
        r = httpx.post(
            api.url + "/upload", files={"file": ("clip.mp4", fh, "video/mp4")}, headers=auth("a")
        )
    assert r.status_code == 500
    # A 5xx says what the code means, nothing of the server (the detail is in the log).
    meaning = CATALOGUE["storage_error"].description
    assert r.json() == {"error": meaning, "code": "storage_error"}
    assert tmp_files(data) == []
    assert httpx.get(api.url + "/stream/ready").json() == []
