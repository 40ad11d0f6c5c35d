"""A 503 refusal on a Mux route (a held segment past its bound, ADR 0064) keeps its
``Retry-After`` and its message in Mux's envelope, and is no ERROR in the log."""

from __future__ import annotations

import json
import logging

import pytest

from vidhost.api.errors import ApiError
from vidhost.mux.errors import _describe


def test_a_503_refusal_keeps_retry_after_and_is_not_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exc = ApiError(503, "segment_not_ready", "not encoded yet", headers={"Retry-After": "2"})
    with caplog.at_level(logging.INFO, logger="vidhost.mux.errors"):
        response = _describe(exc)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    body = json.loads(bytes(response.body))
    assert body["error"]["code"] == "segment_not_ready"
    assert body["error"]["messages"] == ["not encoded yet"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
