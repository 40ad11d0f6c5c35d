"""Seed 002's own provider code (``createCloudflareUploadUrl``) in Node, base URL changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.ingest.conftest import JS_DIR, run_node
from tests.e2e.providers.cloudflare.conftest import form_upload, sdk, token, wait_ready
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


def seed_env(server: ServerProcess, api_token: str, account: str = "alice") -> dict[str, str]:
    return {
        "CLOUDFLARE_API_BASE": server.url,
        "CLOUDFLARE_ACCOUNT_ID": account,
        "CLOUDFLARE_API_TOKEN": api_token,
    }


def test_create_cloudflare_upload_url_then_the_upload_url_takes_the_file(
    server: ServerProcess, clip: Path
) -> None:
    out = run_node(JS_DIR, "cloudflare_seed.js", seed_env(server, token("alice")))
    assert out["provider"] == "cloudflare"
    expires = datetime.fromisoformat(out["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(hours=5.9) < expires - datetime.now(UTC) <= timedelta(hours=6)
    assert form_upload(out["uploadUrl"], clip).status_code == 200
    video = wait_ready(sdk(server), "alice", out["videoId"])
    assert video.meta == {"userId": "user-42", "filename": "practice.mp4", "communityId": "c-1"}
    assert video.max_duration_seconds == 3600


def test_the_seed_code_fails_as_written_with_a_bad_token(server: ServerProcess) -> None:
    env = seed_env(server, "wrong")
    with pytest.raises(AssertionError, match="Failed to create Cloudflare upload URL"):
        run_node(JS_DIR, "cloudflare_seed.js", env)
