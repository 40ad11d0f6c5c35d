"""schemathesis over the whole OpenAPI of a real ``vidhost serve``, with a token and without.

Each operation of the schema is one test per caller (token, anonymous): Hypothesis draws
valid and invalid requests (schemathesis' positive and negative modes), sends them to the
server and checks: no 5xx, every status documented, content types and bodies as documented.
Bounded (``MAX_EXAMPLES`` per operation and mode) and derandomized: the same cases every run.

- The schema is the one ``create_app()`` builds (the test collects one test per operation
  from it); ``test_served_schema_is_the_one_fuzzed`` checks the server serves exactly it.
- One ready video of the token's user exists first; requests are also drawn with its id (and
  one of its renditions and segments, an open tus upload, a signed upload URL) in the path,
  so streaming, thumbnails, processing, tus and signed-upload routes run past their 404s
  (never on DELETE, so they stay for the whole run).
- Webhook registration is pointed at a local listener: nothing leaves the machine.
- WebSocket routes are not in the OpenAPI; ``GET /video/{id}/status/stream`` without an
  upgrade is, and is fuzzed as plain HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, playlist_uris, upload, wait_for_state
from tests.server import ServerProcess
from tests.webhook_receiver import Receiver
from vidhost.app.main import create_app

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 50
USER = "fuzzer"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

# tus bodies are bytes, as application/octet-stream is.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

RAW_SCHEMA = create_app().openapi()
SCHEMA = schemathesis.openapi.from_dict(RAW_SCHEMA)
# The bearer token is the caller's (or absent), not a generated header.
SCHEMA.config.generation.update(with_security_parameters=False)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def listener() -> Iterator[Receiver]:
    with Receiver("whsec_" + "A" * 32, fail_first=False) as receiver:
        yield receiver


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {**AUTH_ENV, "VIDHOST_WEBHOOK_ALLOW_PRIVATE": "true"}
    server = ServerProcess(tmp_path_factory.mktemp("fuzz") / "data", env).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ready_video(
    fuzz_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Parameters that name things that exist: the ready video, one of its renditions and
    segments, an open tus upload of 4096 bytes, and a signed upload URL (key and query)."""
    clip = make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", duration=2.0)
    video_id = upload(fuzz_server.url, clip, auth(USER))
    wait_for_state(fuzz_server.url, video_id, auth(USER), {"ready"})
    stream = f"{fuzz_server.url}/stream/{video_id}/"
    variant = playlist_uris(httpx.get(stream + "manifest").text)[0]
    segment = playlist_uris(httpx.get(stream + variant).text)[0]
    tus = httpx.post(
        f"{fuzz_server.url}/api/v1/videos/tus",
        headers={**auth(USER), "Tus-Resumable": "1.0.0", "Upload-Length": "4096"},
    )
    assert tus.status_code == 201, tus.text
    return {
        **_signed_upload(fuzz_server.url),
        "upload_id": tus.headers["location"].rsplit("/", 1)[1],
        "video_id": video_id,
        "file_id": video_id,
        "rendition": variant.removesuffix(".m3u8"),
        "segment_id": segment.removeprefix("segment/"),
    }


def _signed_upload(base: str) -> dict[str, str]:
    """The key and signature of a fresh signed upload URL (``POST /api/videos/init``)."""
    r = httpx.post(f"{base}/api/videos/init", json={}, headers=auth(USER))
    assert r.status_code == 200, r.text
    url = urlsplit(r.json()["uploadUrl"])
    query = dict(parse_qsl(url.query))
    return {"key": url.path.removeprefix("/storage/upload/"), **query}


def test_served_schema_is_the_one_fuzzed(fuzz_server: ServerProcess) -> None:
    assert httpx.get(fuzz_server.url + "/openapi.json").json() == RAW_SCHEMA
    assert len(OPERATIONS) == sum(len(ops) for ops in RAW_SCHEMA["paths"].values())


def _strategy(operation: Any, ready: dict[str, str]) -> st.SearchStrategy[Any]:
    """Valid and invalid requests, and valid ones about the ready video."""
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    params = operation.definition.raw.get("parameters", [])
    fixed = {
        where: {
            p["name"]: ready[p["name"]] for p in params if p["in"] == where and p["name"] in ready
        }
        for where in ("path", "query")
    }
    if fixed["path"] and operation.method.upper() != "DELETE":
        strategies.append(
            operation.as_strategy(
                GenerationMode.POSITIVE,
                path_parameters=fixed["path"],
                query=fixed["query"] or None,
            )
        )
    return st.one_of(strategies)


@pytest.mark.parametrize("token", [True, False], ids=["token", "anonymous"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_operation(
    operation: Any,
    token: bool,
    fuzz_server: ServerProcess,
    ready_video: dict[str, str],
    listener: Receiver,
) -> None:
    headers = auth(USER) if token else {}

    @FUZZ
    @given(case=_strategy(operation, ready_video))
    def fuzz(case: Any) -> None:
        if operation.path == "/api/webhooks" and isinstance(case.body, dict) and "url" in case.body:
            case.body["url"] = listener.url
        case.call_and_validate(base_url=fuzz_server.url, headers=headers, checks=CHECKS, timeout=60)

    fuzz()


def test_webhooks_reached_only_the_local_listener(listener: Receiver) -> None:
    assert all(r.headers.get("host", "").startswith("127.0.0.1") for r in listener.requests)
