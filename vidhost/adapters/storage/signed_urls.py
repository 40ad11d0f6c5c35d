"""Pre-signed PUT URLs for local storage, served by vidhost itself.

``/storage/upload/{key}?expires={unix}&max={bytes}&sig={hex}`` where ``sig`` is
HMAC-SHA256(secret, "PUT\\n{key}\\n{expires}\\n{max}"). Changing any of key, expiry or size
cap breaks the signature; an expired URL is refused even with a valid signature. Other
capability URLs vidhost hands out (the Cloudflare-shaped form upload and tus URLs) are signed
by the same signer with their own method word, so no URL signed for one opens another.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from vidhost.adapters.storage.keys import check_key
from vidhost.core.errors import Forbidden
from vidhost.core.ports import PresignedRequest

UPLOAD_PATH = "/storage/upload/"


def derive_secret(master: str) -> bytes:
    """A key used only for upload URLs, derived from the server's master secret."""
    return hmac.new(master.encode(), b"vidhost local upload urls v1", hashlib.sha256).digest()


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def signature(self, key: str, expires: int, max_size: int, method: str = "PUT") -> str:
        message = f"{method}\n{key}\n{expires}\n{max_size}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def verify(
        self, key: str, expires: str, max_size: str, sig: str, *, now: float, method: str = "PUT"
    ) -> int:
        """Return the size cap the URL allows; raise ``Forbidden`` for anything wrong."""
        try:
            check_key(key)
            expires_at = int(expires)
            cap = int(max_size)
        except (FileNotFoundError, ValueError):
            raise Forbidden("invalid upload URL", code="invalid_signature") from None
        expected = self.signature(key, expires_at, cap, method)
        if not hmac.compare_digest(expected, sig):
            raise Forbidden("invalid upload URL signature", code="invalid_signature")
        if now > expires_at:
            raise Forbidden("the upload URL has expired", code="url_expired")
        return cap


class LocalSignedUploads:
    """``PresignedUploads`` for ``LocalStorage``: URLs relative to vidhost's base URL."""

    def __init__(self, signer: UrlSigner, *, default_max_size: int) -> None:
        self.signer = signer
        self.default_max_size = default_max_size

    def presign_put(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        max_size: int | None = None,
    ) -> PresignedRequest:
        check_key(key)
        expires = int(time.time()) + expires_in
        cap = max_size if max_size is not None else self.default_max_size
        query = urlencode(
            {"expires": expires, "max": cap, "sig": self.signer.signature(key, expires, cap)}
        )
        headers = {"Content-Type": content_type} if content_type else {}
        return PresignedRequest(
            url=f"{UPLOAD_PATH}{quote(key)}?{query}",
            method="PUT",
            headers=headers,
            expires_at=datetime.fromtimestamp(expires, UTC),
        )
