"""Signed webhooks from the durable outbox, received on loopback and verified like seed 002."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clips import make_clip
from tests.realtime import other_process, upload
from tests.server import ServerProcess, free_port
from tests.webhook_receiver import Receiver
from vidhost.core.lifecycle import VideoState
from vidhost.http.auth.tokens import issue_token
from vidhost.notify.webhooks.sql_store import SqlWebhookStore

pytestmark = pytest.mark.e2e

SECRET = "seed-002-shared-secret"
FAST_RETRIES = {"VIDHOST_WEBHOOK_RETRY_BASE": "0.3", "VIDHOST_WEBHOOK_TIMEOUT": "2"}


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


LOOPBACK_ALLOWED = {"VIDHOST_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]'}
"""API-registered receivers on loopback need the operator's allow-list (ADR 0052)."""


def start(started: list[ServerProcess], data_dir: Path, env: dict[str, str]) -> ServerProcess:
    port = free_port()
    full = {
        "VIDHOST_LADDER_HEIGHTS": "[240]",
        **FAST_RETRIES,
        **env,
    }
    server = ServerProcess(data_dir, full, port=port).start()
    started.append(server)
    return server


def test_global_endpoint_gets_every_event_signed_and_retried(servers, tmp_path):
    with Receiver(SECRET) as receiver:
        # seed 002's own variable name for the secret is honoured
        env = {
            "VIDHOST_AUTH": "none",
            "VIDHOST_WEBHOOK_URL": receiver.url,
            "WEBHOOK_SECRET": SECRET,
        }
        server = start(servers, tmp_path / "data", env)
        video_id = upload(server, make_clip(tmp_path / "a.mp4", duration=1))
        ready = receiver.wait_for("video.asset.ready")[0].event
        for event_type in ("video.upload.created", "video.asset.created", "video.asset.processing"):
            assert receiver.wait_for(event_type)[0].event["data"]["id"] == video_id

        # handleVideoReady (seed 002) reads exactly these fields. Without VIDHOST_PUBLIC_URL
        # the URLs point at the port serve listens on (not :8000).
        data = ready["data"]
        assert data["id"] == video_id and data["status"] == "ready"
        assert data["playback_url"] == f"{server.url}/stream/{video_id}/manifest"
        assert data["thumbnail_url"].startswith(server.url + "/")
        assert httpx.get(data["playback_url"]).status_code == 200
        assert httpx.get(data["thumbnail_url"]).status_code == 200
        assert data["duration"] == pytest.approx(1.0, abs=0.2)
        video_track = data["tracks"][0]
        assert video_track["type"] == "video" and video_track["codec"] == "h264"
        assert video_track["width"] == 320 and video_track["height"] == 240
        assert video_track["max_bitrate"] > 0
        assert data["tracks"][1]["type"] == "audio"
        assert ready["id"].startswith("msg_") and ready["created_at"].endswith("Z")

        # Errors and deletions made by another process are delivered too.
        other = other_process(server)
        try:
            broken = other.videos.create_pending(owner="anonymous")
            other.videos.change_state(
                broken, VideoState.FAILED, error_code="corrupt_media", error_message="bad input"
            )
            other.videos.delete(video_id)
        finally:
            other.close()
        errored = receiver.wait_for("video.asset.errored")[0].event["data"]
        assert errored["id"] == broken.id and errored["status"] == "error"
        assert errored["error_message"] == "bad input"  # handleVideoError reads this
        assert receiver.wait_for("video.asset.deleted")[0].event["data"]["id"] == video_id

        # Every request was signed for seed 002 and Standard Webhooks, every message was
        # refused once (500) and retried with the same id and the same bytes.
        assert all(r.seed002_ok and r.standard_ok for r in receiver.requests)
        by_id: dict[str, list[str]] = {}
        for r in receiver.requests:
            by_id.setdefault(r.headers["webhook-id"], []).append(r.body)
        for bodies in by_id.values():
            if len(bodies) > 1:
                assert len(set(bodies)) == 1
        statuses = {r.headers["webhook-id"]: [] for r in receiver.requests}
        for r in receiver.requests:
            statuses[r.headers["webhook-id"]].append(r.status)
        assert all(s[0] == 500 for s in statuses.values())
        timestamps = [int(r.headers["webhook-timestamp"]) for r in receiver.requests]
        assert all(abs(t - time.time()) < 120 for t in timestamps)


def test_owner_endpoints_api_filter_log_resend_rotate(servers, tmp_path):
    jwt_secret = "jwt-secret-for-webhook-tests-0123456789"
    server = start(
        servers, tmp_path / "data", {"VIDHOST_JWT_SECRET": jwt_secret, **LOOPBACK_ALLOWED}
    )
    alice = {"authorization": f"Bearer {issue_token(jwt_secret, 'alice')}"}
    bob = {"authorization": f"Bearer {issue_token(jwt_secret, 'bob')}"}
    api = server.url + "/api/webhooks"
    assert httpx.get(api).status_code == 401
    bad = httpx.post(api, json={"url": "ftp://x"}, headers=alice)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_url"
    bad = httpx.post(api, json={"url": "http://x/", "events": ["video.nope"]}, headers=alice)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_event_type"

    created = httpx.post(
        api,
        json={"url": "http://127.0.0.1:9/", "events": ["video.asset.errored"]},
        headers=alice,
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    with Receiver(secret) as receiver:
        # Re-register at the receiver's URL (its port is only known now).
        httpx.delete(f"{api}/{endpoint['id']}", headers=alice)
        endpoint = httpx.post(
            api,
            json={"url": receiver.url, "events": ["video.asset.errored"], "secret": secret},
            headers=alice,
        ).json()
        listed = httpx.get(api, headers=alice).json()
        assert [e["id"] for e in listed] == [endpoint["id"]] and listed[0]["secret"] is None
        assert httpx.get(api, headers=bob).json() == []
        assert httpx.get(f"{api}/{endpoint['id']}", headers=bob).status_code == 404

        other = other_process(server)
        try:
            video = other.videos.create_pending(owner="alice")
            other.videos.change_state(
                video, VideoState.FAILED, error_code="x", error_message="failed on purpose"
            )
            bobs = other.videos.create_pending(owner="bob")
            other.videos.change_state(bobs, VideoState.FAILED, error_code="x", error_message="b")
        finally:
            other.close()
        got = receiver.wait_for("video.asset.errored")
        assert [r.event["data"]["id"] for r in got] == [video.id]  # not bob's, not other types

        deliveries = httpx.get(f"{api}/{endpoint['id']}/deliveries", headers=alice).json()
        assert len(deliveries) == 1
        delivery = deliveries[0]
        assert delivery["event_type"] == "video.asset.errored"
        assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
        log = delivery["attempt_log"]
        assert [a["status_code"] for a in log] == [500, 200]
        assert log[0]["error"] == "http_500" and log[1]["error"] is None
        assert all(a["latency_ms"] >= 0 and a["attempted_at"] for a in log)

        # Rotation: the new secret signs x-webhook-signature; both sign webhook-signature.
        rotated = httpx.post(f"{api}/{endpoint['id']}/rotate-secret", headers=alice).json()
        new_secret = rotated["secret"]
        assert new_secret != secret and rotated["previous_secret_expires_at"]
        receiver.secret = new_secret
        resent = httpx.post(
            f"{api}/{endpoint['id']}/deliveries/{delivery['id']}/resend", headers=alice
        )
        assert resent.status_code == 202 and resent.json()["status"] == "pending"
        again = receiver.wait_for("video.asset.errored", count=2)[-1]
        assert again.headers["webhook-id"] == got[0].headers["webhook-id"]
        assert len(again.headers["webhook-signature"].split(" ")) == 2
        assert again.seed002_ok and again.standard_ok

        assert httpx.delete(f"{api}/{endpoint['id']}", headers=bob).status_code == 404
        assert httpx.delete(f"{api}/{endpoint['id']}", headers=alice).status_code == 204
        assert httpx.get(f"{api}/{endpoint['id']}", headers=alice).status_code == 404


def test_pending_delivery_survives_a_server_restart(servers, tmp_path):
    data_dir = tmp_path / "data"
    with Receiver(SECRET, fail_first=False) as receiver:
        receiver.down = True
        env = {
            "VIDHOST_AUTH": "none",
            "VIDHOST_WEBHOOK_URL": receiver.url,
            "VIDHOST_WEBHOOK_SECRET": SECRET,
            "VIDHOST_EMBEDDED_WORKER": "false",
        }
        server = start(servers, data_dir, env)
        other = other_process(server)
        try:
            video = other.videos.create_pending(owner="anonymous")
            other.videos.change_state(
                video, VideoState.FAILED, error_code="x", error_message="before the crash"
            )
        finally:
            other.close()
        deadline = time.monotonic() + 30
        while len([r for r in receiver.requests if r.event["type"] == "video.asset.errored"]) < 2:
            assert time.monotonic() < deadline, "no retries seen"
            time.sleep(0.05)
        server.kill()  # SIGKILL: nothing is flushed or handed over
        refused = len(receiver.requests)
        receiver.down = False
        start(servers, data_dir, env)
        delivered = receiver.wait_for("video.asset.errored")
        assert delivered[0].event["data"]["error_message"] == "before the crash"
        # Both pending deliveries go out after the restart, each on its own retry schedule.
        receiver.wait_for("video.upload.created")
        time.sleep(1.0)  # nothing else is (re)sent: the cursor and the outbox persisted
        assert len(receiver.delivered()) == len(
            {r.headers["webhook-id"] for r in receiver.delivered()}
        )
        assert refused >= 2

    store = SqlWebhookStore(other_process_engine(data_dir))
    rows = store.deliveries("global")
    assert sorted(r.event_type for r in rows) == ["video.asset.errored", "video.upload.created"]
    assert all(r.status == "succeeded" for r in rows)
    store.engine.dispose()


def other_process_engine(data_dir: Path):  # type: ignore[no-untyped-def]
    from vidhost.adapters.db.engine import make_engine

    return make_engine(f"sqlite:///{data_dir / 'vidhost.db'}")
