"""Webhook SSRF guard against a real ``vidhost serve`` (ADR 0052): local and private endpoint
URLs are refused at registration, redirects are not followed, and the delivery log shows
outcomes, not connection detail. DNS rebinding:
tests/integration/notify/test_webhook_rebinding.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.http_server import Listener
from tests.realtime import other_process
from tests.server import ServerProcess, free_port
from vidhost.core.lifecycle import VideoState
from vidhost.http.auth.tokens import issue_token

pytestmark = pytest.mark.e2e

SECRET = "jwt-secret-for-webhook-ssrf-tests-0123456789"
ALICE = {"authorization": f"Bearer {issue_token(SECRET, 'alice')}"}

REFUSED = [
    "http://127.0.0.1:22/",
    "http://localhost:6379/",
    "http://[::1]/",
    "http://0.0.0.0/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://10.0.0.1/",
    "http://192.168.0.10/",
    "http://100.64.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
]


def serve(tmp_path_factory: pytest.TempPathFactory, **env: str) -> ServerProcess:
    base = {
        "VIDHOST_JWT_SECRET": SECRET,
        "VIDHOST_EMBEDDED_WORKER": "false",
        "VIDHOST_WEBHOOK_RETRY_BASE": "30",  # one attempt per test
        "VIDHOST_WEBHOOK_TIMEOUT": "2",
    }
    return ServerProcess(tmp_path_factory.mktemp("ssrf"), {**base, **env}).start()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = serve(tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def loopback_allowed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = serve(tmp_path_factory, VIDHOST_WEBHOOK_ALLOWED_NETWORKS='["127.0.0.1/32"]')
    yield server
    server.stop()


def register(server: ServerProcess, url: str) -> httpx.Response:
    return httpx.post(server.url + "/api/webhooks", json={"url": url}, headers=ALICE, timeout=30)


@pytest.mark.parametrize("url", REFUSED)
def test_local_and_private_endpoints_are_refused(guarded: ServerProcess, url: str) -> None:
    r = register(guarded, url)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "url_forbidden"
    assert r.json()["error"] == (
        "url must point at a public internet host: its host is local, private, link-local, "
        "multicast or reserved, or does not resolve"
    )  # the same words whatever the reason: no oracle for internal names


def test_malformed_urls_are_invalid(guarded: ServerProcess) -> None:
    for url in ("ftp://example.com/", "http://user:pw@example.com/", "file:///etc/passwd"):
        r = register(guarded, url)
        assert r.status_code == 400 and r.json()["code"] == "invalid_url", r.text
    assert httpx.get(guarded.url + "/api/webhooks", headers=ALICE).json() == []


def test_the_allow_list_admits_loopback_but_not_other_private_hosts(
    loopback_allowed: ServerProcess,
) -> None:
    assert register(loopback_allowed, f"http://127.0.0.1:{free_port()}/").status_code == 201
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://localhost:6379/"):
        r = register(loopback_allowed, url)
        assert r.status_code == 400 and r.json()["code"] == "url_forbidden", url
    for endpoint in httpx.get(loopback_allowed.url + "/api/webhooks", headers=ALICE).json():
        httpx.delete(f"{loopback_allowed.url}/api/webhooks/{endpoint['id']}", headers=ALICE)


def fail_a_video(server: ServerProcess, owner: str = "alice") -> str:
    other = other_process(server)
    try:
        video = other.videos.create_pending(owner=owner)
        other.videos.change_state(video, VideoState.FAILED, error_code="x", error_message="x")
        return video.id
    finally:
        other.close()


def first_attempt(server: ServerProcess, endpoint_id: str) -> dict[str, object]:
    url = f"{server.url}/api/webhooks/{endpoint_id}/deliveries"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        deliveries = httpx.get(url, headers=ALICE).json()
        if deliveries and deliveries[0]["attempt_log"]:
            return deliveries[0]  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError("no delivery attempt logged")


def test_redirects_are_not_followed_and_the_log_has_no_connection_detail(
    loopback_allowed: ServerProcess,
) -> None:
    api = loopback_allowed.url + "/api/webhooks"
    closed_port = free_port()
    with (
        Listener(path="/hook") as target,
        Listener(302, {"location": "PLACEHOLDER"}, path="/hook") as redirector,
    ):
        redirector.response_headers["location"] = target.url
        redirecting = register(loopback_allowed, redirector.url).json()
        refused = register(loopback_allowed, f"http://127.0.0.1:{closed_port}/hook").json()
        fail_a_video(loopback_allowed)

        redirected = first_attempt(loopback_allowed, redirecting["id"])
        assert redirector.connections >= 1 and len(redirector.requests) >= 1
        assert target.connections == 0  # the Location was not fetched
        (attempt,) = redirected["attempt_log"]  # type: ignore[misc]
        assert attempt["status_code"] == 302 and attempt["error"] == "redirect_not_followed"
        assert redirected["status"] == "pending"  # a failed attempt, retried later

        failed = first_attempt(loopback_allowed, refused["id"])
        assert failed["last_error"] == "connection_failed"
        assert failed["last_status_code"] is None
        text = json.dumps(failed) + json.dumps(redirected)
        for detail in ("Errno", "errno", "refused", "Connect", "127.0.0.1", "localhost"):
            assert detail not in text, detail
        errors = {a["error"] for d in (failed, redirected) for a in d["attempt_log"]}  # type: ignore[attr-defined]
        assert errors <= {"connection_failed", "redirect_not_followed"}
        for endpoint in (redirecting, refused):
            httpx.delete(f"{api}/{endpoint['id']}", headers=ALICE)
