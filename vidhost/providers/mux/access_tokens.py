"""Access tokens of the Mux surface: HTTP Basic ``token id : token secret``.

A token belongs to a vidhost user (the owner of what its requests create). The secret is 32
random bytes shown once (``vidhost access-token create``, ``POST /system/v1/access-tokens``);
only its SHA-256 is stored (a random 256-bit secret needs no slow hash), compared in constant
time. A revoked token answers 401 at once (its row is read on every request).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from vidhost.core.errors import NotFound, Unauthorized
from vidhost.providers.mux.store import SqlMuxStore


@dataclass(frozen=True)
class CreatedToken:
    id: str
    secret: str
    owner: str
    name: str | None
    created_at: datetime


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _unauthorized() -> Unauthorized:
    return Unauthorized("Unauthorized request", code="unauthorized")


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(id, secret)`` from an ``Authorization: Basic`` header, else None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    token_id, sep, secret = decoded.partition(":")
    return (token_id, secret) if sep and token_id and secret else None


class AccessTokens:
    def __init__(self, store: SqlMuxStore) -> None:
        self.store = store

    def create(self, owner: str, name: str | None = None) -> CreatedToken:
        token_id = str(uuid.uuid4())
        secret = base64.b64encode(secrets.token_bytes(48)).decode()
        created = self.store.add_token(token_id, owner, hash_secret(secret), name)
        return CreatedToken(token_id, secret, owner, name, created)

    def verify(self, token_id: str, secret: str) -> str:
        """The token's owner; ``Unauthorized`` for an unknown, revoked or wrong one."""
        if len(token_id) > 64 or len(secret) > 256:
            raise _unauthorized()
        row = self.store.get_token(token_id)
        expected = row["secret_hash"] if row else hash_secret("")
        matches = hmac.compare_digest(expected, hash_secret(secret))
        if row is None or not matches or row["revoked_at"] is not None:
            raise _unauthorized()
        owner: str = row["owner"]
        return owner

    def list(self, owner: str) -> list[dict[str, object]]:
        return self.store.list_tokens(owner)

    def revoke(self, token_id: str, owner: str) -> None:
        if not self.store.revoke_token(token_id, owner):
            raise NotFound("access token not found", code="access_token_not_found")
