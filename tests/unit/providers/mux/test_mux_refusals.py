"""A 503 refusal on a Mux route (a held segment past its bound, ADR 0064) keeps its
``Retry-After`` in Mux's envelope, and is one INFO line in the log, no ERROR."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.requests import Request

from vidhost.http.errors import ApiError, internal_message
from vidhost.providers.mux.errors import _describe


def test_a_503_refusal_keeps_retry_after_and_is_not_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exc = ApiError(503, "segment_not_ready", "not encoded yet", headers={"Retry-After": "2"})
    scope = {"type": "http", "method": "GET", "path": "/p/hls/segment/x.m4s", "headers": []}
    with caplog.at_level(logging.INFO):
        response = _describe(Request(scope), exc)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    body = json.loads(bytes(response.body))
    assert body["error"]["code"] == "segment_not_ready"
    # a 5xx answers with the catalogue's words, on every surface alike
    assert body["error"]["messages"] == [internal_message(503, "segment_not_ready")]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in caplog.records] == [
        "refused GET /p/hls/segment/x.m4s 503 segment_not_ready"
    ]
