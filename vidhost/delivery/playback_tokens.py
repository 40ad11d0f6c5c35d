"""Signed playback in the shape Mux uses (ADR 0050): RS256 signing keys and playback tokens.

- A *signing key* belongs to a user. ``create_key`` returns the private key once (base64 of
  its PEM, as Mux does); only the public key is stored. Deleting a key revokes every token it
  signed: its id stays, so such tokens answer ``playback_token_revoked``.
- A *playback token* is a JWT, RS256, with ``kid`` (in the header, or in the payload as
  @mux/mux-node's ``jwt.signPlaybackId`` puts it) and claims ``sub`` (the video id),
  ``aud`` (``v``/``t``/``s``/``g``) and ``exp`` (required). A token without ``aud`` (the
  shape of Cloudflare Stream's signed URLs) opens every audience of its video; ``nbf`` is
  honoured when present. A user's key signs only for that
  user's videos (checked by ``vidhost.core.access``).
- The *server key* signs the tokens of ``POST /api/videos/{id}/playback-token``. It is created
  on first use and kept in the database, so every API node signs and verifies alike.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from datetime import UTC, datetime

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from vidhost.core.access import Audience, PlaybackGrant
from vidhost.core.errors import Forbidden, NotFound
from vidhost.core.models import ServerKey, SigningKey
from vidhost.core.ports import SigningKeyRepository

ALGORITHM = "RS256"
KEY_BITS = 2048
MAX_TTL = 7 * 24 * 3600
DEFAULT_TTL = 3600


def _new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def new_key_id() -> str:
    return secrets.token_hex(12)


def new_server_key() -> ServerKey:
    key = _new_private_key()
    return ServerKey(kid=new_key_id(), private_pem=_private_pem(key), public_pem=_public_pem(key))


def sign(
    private_pem: str,
    kid: str,
    video_id: str,
    audience: Audience | None,
    expires: int,
    *,
    not_before: int | None = None,
) -> str:
    """A playback token (what a customer's backend does with its signing key); without
    ``audience``, one for every kind of bytes of the video (Cloudflare's shape)."""
    claims: dict[str, object] = {"sub": video_id, "exp": expires}
    if audience is not None:
        claims["aud"] = audience.value
    if not_before is not None:
        claims["nbf"] = not_before
    return jwt.encode(claims, private_pem, ALGORITHM, headers={"kid": kid})


def _invalid(message: str = "invalid playback token") -> Forbidden:
    return Forbidden(message, code="playback_token_invalid")


class PlaybackTokens:
    """Signing keys of users, the server key, and token verification (``PlaybackTokenVerifier``)."""

    def __init__(self, keys: SigningKeyRepository) -> None:
        self.keys = keys
        self._server: ServerKey | None = None
        self._lock = threading.Lock()

    # --- signing keys ------------------------------------------------------------------------

    def create_key(self, owner: str) -> tuple[SigningKey, str]:
        """A new key for ``owner`` and its private key (base64 of the PEM): shown once."""
        private = _new_private_key()
        key = SigningKey(id=new_key_id(), owner=owner, public_pem=_public_pem(private))
        self.keys.add_key(key)
        return key, base64.b64encode(_private_pem(private).encode()).decode()

    def get_key(self, key_id: str, *, owner: str) -> SigningKey:
        key = self.keys.get_key(key_id)
        if key is None or key.owner != owner or key.deleted_at is not None:
            raise NotFound("signing key not found", code="signing_key_not_found")
        return key

    def list_keys(self, owner: str) -> list[SigningKey]:
        return self.keys.list_keys(owner)

    def delete_key(self, key_id: str, *, owner: str) -> None:
        if not self.keys.delete_key(key_id, owner=owner):
            raise NotFound("signing key not found", code="signing_key_not_found")

    # --- the server's key --------------------------------------------------------------------

    def server_key(self) -> ServerKey:
        with self._lock:
            if self._server is None:
                self._server = self.keys.server_key(new_server_key)
            return self._server

    def issue(self, video_id: str, audience: Audience | None, ttl: int) -> tuple[str, datetime]:
        """A token signed by the server key, valid ``ttl`` seconds (``audience=None``: every
        audience)."""
        expires = int(time.time()) + ttl
        return self.token(video_id, audience, expires), datetime.fromtimestamp(expires, UTC)

    def token(
        self,
        video_id: str,
        audience: Audience | None,
        expires: int,
        *,
        not_before: int | None = None,
        key: tuple[str, str] | None = None,
    ) -> str:
        """A token valid until ``expires`` (Unix seconds), signed by the server key, or by
        ``key``: a signing key's id and its private PEM, as a customer's backend signs
        (Cloudflare's ``POST .../token`` with ``id`` and ``pem``). ``ValueError`` for a PEM
        that is not a private key."""
        if key is None:
            server = self.server_key()
            key = (server.kid, server.private_pem)
        kid, private_pem = key
        return sign(private_pem, kid, video_id, audience, expires, not_before=not_before)

    # --- verification ------------------------------------------------------------------------

    def verify(self, token: str) -> PlaybackGrant:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if kid is None:  # @mux/mux-node's jwt.signPlaybackId puts it in the payload
                unverified = jwt.decode(token, options={"verify_signature": False})
                kid = unverified.get("kid")
        except jwt.PyJWTError:
            raise _invalid() from None
        if not isinstance(kid, str) or not kid:
            raise _invalid("the playback token has no kid")
        public_pem, owner = self._public_key(kid)
        try:
            claims = jwt.decode(
                token,
                public_pem,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise Forbidden(
                "the playback token has expired", code="playback_token_expired"
            ) from None
        except jwt.PyJWTError:
            raise _invalid() from None
        sub, aud = claims.get("sub"), claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        if not isinstance(sub, str) or not (aud is None or isinstance(aud, str)):
            raise _invalid()
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
        return PlaybackGrant(video_id=sub, audience=aud, key_owner=owner, expires_at=expires)

    def _public_key(self, kid: str) -> tuple[str, str | None]:
        """(public PEM, key owner) for ``kid``; the server key has no owner.

        The server key is held in memory: a token it signed (the common case, every segment
        of a ``POST .../playback-token`` viewer) costs no database read. A user key is one
        read of its row, so a deletion revokes at once."""
        if len(kid) > 64:
            raise _invalid("unknown signing key")
        server = self.server_key()
        if kid == server.kid:
            return server.public_pem, None
        key = self.keys.get_key(kid)
        if key is None:
            raise _invalid("unknown signing key")
        if key.public_pem is None:
            raise Forbidden(
                "the playback token's signing key was deleted", code="playback_token_revoked"
            )
        return key.public_pem, key.owner
