"""One-time sign-in codes of the embedded profile (``vidhost.web.signin`` serves them): only
a SHA-256 of each code is kept, in this process's memory."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vidhost.app.settings import Settings

CODE_TTL = 3600.0
"""Seconds a printed sign-in link stays valid."""


class SignInCodes:
    """Codes not yet used, by SHA-256, with their expiry. Thread-safe; each redeems once."""

    def __init__(self, ttl: float = CODE_TTL) -> None:
        self._ttl = ttl
        self._codes: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[_digest(code)] = time.monotonic() + self._ttl
        return code

    def redeem(self, code: str) -> bool:
        digest = _digest(code)
        with self._lock:
            now = time.monotonic()
            self._codes = {d: t for d, t in self._codes.items() if t > now}
            for known in list(self._codes):
                if hmac.compare_digest(known, digest):
                    del self._codes[known]
                    return True
        return False


def _digest(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()


def is_embedded(s: Settings) -> bool:
    """The embedded profile: bearer tokens, and the SQLite database in the data dir."""
    return s.auth == "jwt" and s.database_url is None
