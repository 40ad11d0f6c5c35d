"""Pre-signed PUT and GET URLs for local storage, served by vidhost itself.

``/storage/upload/{key}?expires={unix}&max={bytes}&sig={hex}`` where ``sig`` is
HMAC-SHA256(secret, "PUT\\n{key}\\n{expires}\\n{max}"). Changing any of key, expiry or size
cap breaks the signature; an expired URL is refused even with a valid signature. Other
capability URLs vidhost hands out (the Cloudflare-shaped form upload and tus URLs) are signed
by the same signer with their own method word, so no URL signed for one opens another.

``/storage/download/{key}?expires={unix}&name={disposition}&sig={hex}`` is the GET
counterpart (S3's pre-signed GET, ADR 0093): ``sig`` is HMAC-SHA256(secret, "GET {name}\n{key}\n
{expires}\n0"), so the ``Content-Disposition`` it is answered with is signed too.
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
DOWNLOAD_PATH = "/storage/download/"


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

    def verify_get(self, key: str, expires: str, name: str, sig: str, *, now: float) -> None:
        """A signed GET (``LocalSignedDownloads``); ``Forbidden`` for anything wrong."""
        self.verify(key, expires, "0", sig, now=now, method=download_method(name))


def download_method(name: str) -> str:
    """The method word of a signed GET: the download name is part of what is signed."""
    return f"GET {name}"


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


class LocalSignedDownloads:
    """``PresignedDownloads`` for ``LocalStorage``: GET URLs on vidhost itself (relative, as
    ``LocalSignedUploads``'), served by ``delivery/originals/routes.py``."""

    def __init__(self, signer: UrlSigner) -> None:
        self.signer = signer

    def presign_get(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        content_disposition: str | None = None,
        now: float | None = None,
    ) -> str:
        """``content_disposition`` is signed into the URL (``name``) and answered as the
        header; the route answers ``application/octet-stream`` (``content_type`` is not
        carried: the original's type is what was uploaded)."""
        check_key(key)
        expires = int(now if now is not None else time.time()) + expires_in
        name = content_disposition or ""
        sig = self.signer.signature(key, expires, 0, download_method(name))
        query = urlencode({"expires": expires, "name": name, "sig": sig})
        return f"{DOWNLOAD_PATH}{quote(key)}?{query}"
