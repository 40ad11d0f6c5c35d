"""``vidhost.http.errors``: the handler is found by class, the status comes from the code."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI

from vidhost.core.errors import CodedError, Conflict, InvalidInput, NotFound, StorageFailure
from vidhost.core.upload_errors import ChecksumMismatch, UploadLocked
from vidhost.http.errors import ApiError, install
from vidhost.media.enhance import EnhanceSpecError
from vidhost.media.errors import MediaError
from vidhost.processing.runner import TaskFailed


class _NewRefusal(InvalidInput):
    code = "brand_new_class_code"


RAISES: dict[str, Exception] = {
    "not_found": NotFound("video not found", code="video_not_found"),
    "by_code": InvalidInput("no upload yet", code="upload_incomplete"),
    "class_default": Conflict("busy"),
    "tus_locked": UploadLocked("another request is writing"),
    "tus_checksum": ChecksumMismatch("bad digest"),
    "api": ApiError(412, "unsupported_tus_version", "v1", headers={"Tus-Version": "1.0.0"}),
    "uncatalogued_api": ApiError(418, "brand_new_code", "teapot"),
    "uncatalogued_domain": NotFound("gone", code="brand_new_code"),
    "uncatalogued_class": _NewRefusal("refused"),
    "media": MediaError("not_a_video", "The file has no video stream."),
    "spec": EnhanceSpecError("unknown_preset", "no preset 'x'"),
    "task": TaskFailed("ffmpeg_timeout", "took too long"),
    "storage": StorageFailure("could not write /srv/vidhost/data/videos/x/source"),
    "busy": ApiError(503, "segment_not_ready", "not yet", headers={"Retry-After": "2"}),
    "crash": RuntimeError("boom at /srv/vidhost/app.py"),
}


class Client:
    """Requests straight to the ASGI app (httpx's ASGI transport), one event loop each."""

    def __init__(self, app: FastAPI, *, raise_app_exceptions: bool = False) -> None:
        self.app = app
        self.raise_app_exceptions = raise_app_exceptions

    def request(self, method: str, path: str) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(
                app=self.app, raise_app_exceptions=self.raise_app_exceptions
            )
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                return await c.request(method, path)

        return asyncio.run(go())

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str) -> httpx.Response:
        return self.request("POST", path)


@pytest.fixture(scope="module")
def client() -> Client:
    app = FastAPI()
    install(app)

    @app.get("/raise/{name}")
    async def raise_(name: str) -> None:
        raise RAISES[name]

    @app.get("/typed/{n}")
    async def typed(n: int) -> int:
        return n

    return Client(app)


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("not_found", 404, "video_not_found"),
        ("by_code", 409, "upload_incomplete"),
        ("class_default", 409, "conflict"),
        ("tus_locked", 423, "upload_locked"),
        ("tus_checksum", 460, "checksum_mismatch"),
        ("api", 412, "unsupported_tus_version"),
        ("uncatalogued_api", 418, "brand_new_code"),
        ("uncatalogued_domain", 404, "brand_new_code"),
        ("uncatalogued_class", 400, "brand_new_class_code"),
        ("media", 400, "not_a_video"),
        ("spec", 400, "unknown_preset"),
        ("task", 500, "ffmpeg_timeout"),
    ],
)
def test_status_comes_from_the_code(client: Client, name: str, status: int, code: str) -> None:
    r = client.get(f"/raise/{name}")
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert r.json()["error"]


def test_every_error_class_shares_one_base() -> None:
    assert all(isinstance(exc, CodedError) for exc in RAISES.values() if exc is not RAISES["crash"])


def test_extra_headers_are_sent(client: Client) -> None:
    assert client.get("/raise/api").headers["tus-version"] == "1.0.0"


def test_server_errors_are_logged_and_say_nothing_of_the_server(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="vidhost.http.errors"):
        storage = client.get("/raise/storage")
        crash = client.get("/raise/crash")
    assert (storage.status_code, storage.json()["code"]) == (500, "storage_error")
    assert (crash.status_code, crash.json()["code"]) == (500, "internal_error")
    for r in (storage, crash):
        assert "/srv" not in r.text and "boom" not in r.text
    assert "/srv/vidhost/data" in caplog.text and "boom" in caplog.text


def test_validation_and_routing_errors_have_codes(client: Client) -> None:
    r = client.get("/typed/abc")
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")
    assert r.json()["fields"][0]["field"] == "path.n"
    assert (client.get("/nowhere").status_code, client.get("/nowhere").json()["code"]) == (
        404,
        "not_found",
    )
    r = client.post("/typed/1")
    assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")


# --- logging: a refusal is one INFO line with its code; only a fault carries a traceback ---


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "vidhost.http.errors"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/raise/not_found", 404, "video_not_found"),
        ("/raise/by_code", 409, "upload_incomplete"),
        ("/raise/busy", 503, "segment_not_ready"),
        ("/typed/abc", 400, "invalid_request"),
        ("/nowhere", 404, "not_found"),
    ],
)
def test_a_coded_refusal_is_one_info_line_with_its_code(
    client: Client, caplog: pytest.LogCaptureFixture, path: str, status: int, code: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="vidhost.http.errors"):
        r = client.get(path + "?token=secret-playback-token")
    assert (r.status_code, r.json()["code"]) == (status, code)
    (record,) = _records(caplog)
    assert record.levelno == logging.INFO
    assert record.exc_info is None and record.exc_text is None
    line = record.getMessage()
    assert line == f"refused GET {path} {status} {code}"
    assert "\n" not in logging.Formatter().format(record)  # one line, no traceback
    assert "secret-playback-token" not in caplog.text  # the query string is not logged


def test_an_unexpected_error_is_an_error_with_its_traceback_and_a_bare_500(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing reaches the server (uvicorn would log the same traceback again): the ASGI
    # transport raises whatever the app raises.
    strict = Client(client.app, raise_app_exceptions=True)
    with caplog.at_level(logging.DEBUG):
        r = strict.get("/raise/crash")
    assert (r.status_code, r.json()) == (
        500,
        {"error": "An unexpected server error (logged)", "code": "internal_error"},
    )
    assert "Traceback" not in r.text and "boom" not in r.text
    assert [r for r in caplog.records if r.exc_info] == _records(caplog)  # logged once
    (record,) = _records(caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith("failed GET /raise/crash 500 internal_error")
    text = logging.Formatter().format(record)
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text


def test_a_coded_server_fault_keeps_its_traceback(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="vidhost.http.errors"):
        r = client.get("/raise/storage")
    assert (r.status_code, r.json()["code"]) == (500, "storage_error")
    (record,) = _records(caplog)
    assert record.levelno == logging.ERROR
    assert "Traceback" in logging.Formatter().format(record)


@pytest.fixture(scope="module")
def vendor_client() -> Client:
    """A Mux-shaped and a Cloudflare-shaped route, each raising what it is told to."""
    from fastapi import APIRouter

    from vidhost.providers.cloudflare.envelope import CloudflareRoute
    from vidhost.providers.mux.errors import MuxRoute

    app = FastAPI()
    install(app)
    for prefix, route_class in (("/mux", MuxRoute), ("/cf", CloudflareRoute)):
        router = APIRouter(prefix=prefix, route_class=route_class)

        @router.get("/raise/{name}")
        async def raise_(name: str) -> None:
            raise RAISES[name]

        app.include_router(router)
    return Client(app)


@pytest.mark.parametrize("surface", ["mux", "cf"])
def test_the_vendor_surfaces_log_refusals_and_faults_alike(
    vendor_client: Client, caplog: pytest.LogCaptureFixture, surface: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="vidhost.http.errors"):
        busy = vendor_client.get(f"/{surface}/raise/busy")
        missing = vendor_client.get(f"/{surface}/raise/not_found")
    assert (busy.status_code, missing.status_code) == (503, 404)
    assert busy.headers["retry-after"] == "2"
    lines = [(r.levelno, r.getMessage(), r.exc_info) for r in _records(caplog)]
    assert lines == [
        (logging.INFO, f"refused GET /{surface}/raise/busy 503 segment_not_ready", None),
        (logging.INFO, f"refused GET /{surface}/raise/not_found 404 video_not_found", None),
    ]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="vidhost.http.errors"):
        storage = vendor_client.get(f"/{surface}/raise/storage")
    assert storage.status_code == 500 and "/srv" not in storage.text
    (record,) = _records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert record.getMessage().startswith(f"failed GET /{surface}/raise/storage 500 storage_error")
