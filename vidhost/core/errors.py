"""Errors. Every error vidhost raises on purpose is a :class:`CodedError`: a stable ``code``
and a human ``message``. The HTTP status of a code lives in one place,
:mod:`vidhost.core.error_codes`; ``vidhost.http.errors`` answers with it.
"""

from __future__ import annotations

from collections.abc import Mapping


class CodedError(Exception):
    """The one base of coded errors (domain, API, uploads, media, tasks).

    ``code`` is a class default that an instance may override; ``headers`` are extra
    response headers (``Retry-After``, ``Tus-Version`` ...).
    """

    code: str = "internal_error"
    message: str
    headers: Mapping[str, str] | None = None

    def __init__(
        self, message: str, *, code: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if headers is not None:
            self.headers = headers

    @classmethod
    def default_code(cls) -> str:
        """The class's own code, whatever an instance was given (the catalogue fallback)."""
        return cls.code


class DomainError(CodedError):
    pass


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
