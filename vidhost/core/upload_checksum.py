"""``Upload-Checksum: <algorithm> <base64 digest>`` (tus checksum extension)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Protocol

from vidhost.core.upload_errors import bad_header

ALGORITHMS = ("sha1", "sha256", "md5")


class Hasher(Protocol):
    def update(self, data: bytes | bytearray, /) -> None: ...

    def digest(self) -> bytes: ...


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes

    def hasher(self) -> Hasher:
        return hashlib.new(self.algorithm)

    def matches(self, hasher: Hasher) -> bool:
        return hasher.digest() == self.digest


def parse_checksum(header: str | None) -> Checksum | None:
    """The expected digest, or None without a header. Unsupported algorithm -> 400."""
    if header is None or not header.strip():
        return None
    algorithm, _, value = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in ALGORITHMS:
        raise bad_header(
            f"unsupported checksum algorithm {algorithm!r} (use {', '.join(ALGORITHMS)})",
            "unsupported_checksum_algorithm",
        )
    size = hashlib.new(algorithm).digest_size
    value = value.strip()
    digest: bytes | None = None
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        digest = None
    if digest is None or len(digest) != size:
        # Accept a hex digest too (the upload-session contract's example shows one).
        try:
            digest = bytes.fromhex(value)
        except ValueError:
            digest = None
    if digest is None or len(digest) != size:
        raise bad_header(f"Upload-Checksum is not a base64 {algorithm} digest", "invalid_checksum")
    return Checksum(algorithm, digest)
