"""Domain errors. Each carries a stable machine-readable ``code``; the API maps them to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"


class InvalidInput(DomainError):
    code = "invalid_request"


class TooLarge(DomainError):
    code = "file_too_large"


class Conflict(DomainError):
    code = "conflict"


class NotReady(Conflict):
    code = "not_ready"


class StorageFailure(DomainError):
    code = "storage_error"


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a video cannot go from {current} to {target}")
        self.current = current
        self.target = target
