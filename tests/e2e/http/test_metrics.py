"""``GET /metrics`` of a real ``vidhost serve`` (with its embedded worker), parsed by
``prometheus_client``'s own parser: the counters move for the work just done (ADR 0072)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from tests.clips import make_clip
from tests.e2e.helpers import wait_for_state
from tests.realtime import ws_url
from tests.server import ServerProcess
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.e2e

TOKEN = "metrics-token-0123456789"
WEBHOOK_SECRET = "metrics-webhook-secret"
BEARER = {"Authorization": f"Bearer {TOKEN}"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: ServerProcess) -> Samples:
    r = httpx.get(server.url + "/metrics", headers=BEARER, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples named ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver(WEBHOOK_SECRET) as r:  # answers 500 first, then 200 to the retry
        yield r


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("metrics")
    env = {
        "VIDHOST_AUTH": "none",
        "VIDHOST_METRICS_TOKEN": TOKEN,
        "VIDHOST_WEBHOOK_URL": receiver.url,
        "VIDHOST_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "VIDHOST_WEBHOOK_RETRY_BASE": "0.2",
    }
    server = ServerProcess(data, env).start()
    yield server
    server.stop()


def test_counters_move_for_an_upload_that_becomes_ready(
    server: ServerProcess, receiver: Receiver, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=2, width=320, height=240)
    before = scrape(server)
    with open(clip, "rb") as fh:
        r = httpx.post(server.url + "/upload", files={"file": ("clip.mp4", fh, "video/mp4")})
    assert r.status_code == 201, r.text
    video_id = r.json()["videoId"]
    data = clip.read_bytes()
    tus = httpx.post(  # tus creation-with-upload: the whole file in one request
        server.url + "/api/v1/videos/tus",
        content=data,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": "filename Y2xpcC5tcDQ=",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert tus.status_code == 201, tus.text
    assert tus.headers["upload-offset"] == str(len(data))
    assert wait_for_state(server.url, video_id, {}, {"ready", "failed"})["state"] == "ready"
    # The worker's task metrics are written by another process (the embedded worker). Ready
    # comes before the whole ladder is stored (ADR 0061): the transcode is counted later.
    key = ("vidhost_tasks_finished_total", {"kind": "transcode", "outcome": "completed"})
    deadline = time.monotonic() + 30
    while True:
        after = scrape(server)
        done = value(after, "vidhost_webhook_deliveries_total", outcome="delivered")
        counted = value(after, key[0], **key[1]) > value(before, key[0], **key[1])
        if counted and done > value(
            before, "vidhost_webhook_deliveries_total", outcome="delivered"
        ):
            break
        assert time.monotonic() < deadline, "no webhook delivery or transcode counted"
        time.sleep(0.3)

    def moved(name: str, by: float = 1, **labels: str) -> None:
        delta = value(after, name, **labels) - value(before, name, **labels)
        assert delta >= by, (name, labels, delta)

    moved("vidhost_uploads_total", way="form", outcome="accepted")
    moved("vidhost_upload_bytes_total", by=clip.stat().st_size, way="form")
    moved("vidhost_uploads_total", way="resumable", outcome="accepted")
    moved("vidhost_upload_bytes_total", by=len(data), way="resumable")
    moved("vidhost_http_requests_total", method="POST", route="/api/v1/videos/tus", status="201")
    moved("vidhost_http_requests_total", method="POST", route="/upload", status="201")
    moved("vidhost_http_request_duration_seconds_count", method="POST", route="/upload")
    # route templates, never raw paths (bounded label values)
    moved("vidhost_http_requests_total", route="/api/videos/{video_id}/status", status="200")
    assert value(after, "vidhost_http_requests_total", route=f"/api/videos/{video_id}/status") == 0
    moved("vidhost_tasks_finished_total", kind="transcode", outcome="completed")
    moved("vidhost_task_duration_seconds_count", kind="transcode", outcome="completed")
    moved("vidhost_encode_speed_ratio_count", kind="transcode")
    assert value(after, "vidhost_encode_speed_ratio_sum", kind="transcode") > 0
    moved("vidhost_upload_to_ready_seconds_count")
    moved("vidhost_tasks", kind="transcode", state="completed")
    assert ("vidhost_queue_depth", frozenset()) in after
    moved("vidhost_webhook_deliveries_total", outcome="http_5xx")  # the receiver's first 500
    moved("vidhost_webhook_deliveries_total", outcome="delivered")


def test_open_websockets_are_counted(server: ServerProcess) -> None:
    def sockets(samples: Samples) -> float:
        return value(samples, "vidhost_websockets_open", surface="client")

    async def scenario() -> None:
        base = sockets(scrape(server))
        async with websockets.connect(ws_url(server, "/ws/metrics-client")):
            await asyncio.sleep(0.3)
            assert sockets(await asyncio.to_thread(scrape, server)) == base + 1
        deadline = time.monotonic() + 5
        while sockets(await asyncio.to_thread(scrape, server)) != base:
            assert time.monotonic() < deadline, "the closed socket is still counted"
            await asyncio.sleep(0.1)

    asyncio.run(scenario())


def test_metrics_need_the_token_when_it_is_set(server: ServerProcess) -> None:
    r = httpx.get(server.url + "/metrics")
    assert r.status_code == 401
    assert r.json()["code"] == "unauthorized"
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_token"
