"""One error type for everything the client can fail at, with a stable code."""

from __future__ import annotations

from typing import Any

import httpx


class ClientError(Exception):
    """A failed call: the server's ``{"error", "code"}`` body, or a client-side code.

    Client-side codes: ``connection_failed`` (the server cannot be reached), ``bad_response``
    (an answer that is not vidhost's), ``file_changed`` (the file changed during the upload),
    ``empty_file`` (nothing to upload; the server's code for the same refusal), ``file_exists``
    (``vidhost download`` would overwrite a file; ``--force`` does).
    """

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "status": self.status}


def from_response(response: httpx.Response) -> ClientError:
    code, message = f"http_{response.status_code}", response.reason_phrase or "request failed"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("code") or code)
        detail = body.get("error") or body.get("message") or body.get("detail")
        if isinstance(detail, str):
            message = detail
    return ClientError(code, message, response.status_code)


def connection_failed(server: str, exc: Exception) -> ClientError:
    return ClientError("connection_failed", f"cannot reach {server}: {exc.__class__.__name__}")
