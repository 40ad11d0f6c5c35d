"""Who may read what: the one access decision every read surface asks (ADR 0050).

- ``public``: anyone, and listed in ``/stream/ready``;
- ``unlisted``: anyone who knows the id, never listed;
- ``private``: the owner (bearer token) or the holder of a valid playback token for that video
  and that audience (``v`` playlists/segments, ``t`` thumbnails and the poster, ``s``
  storyboard, ``g`` animated previews).

*Owner surfaces* (analysis, enhanced file, statuses, sockets) answer the owner whatever the
visibility, or a playback token with audience ``v``. The decision is made on every request
from the current row: a visibility change applies to the next request.

The token itself is checked by a ``PlaybackTokenVerifier`` (signature, expiry, revocation);
this module checks what the verified claims grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from vidhost.core.errors import Forbidden, Unauthorized
from vidhost.core.models import Video, present

PUBLIC = "public"
UNLISTED = "unlisted"
PRIVATE = "private"
VISIBILITIES = (PUBLIC, UNLISTED, PRIVATE)
LISTED = frozenset({PUBLIC})
"""Visibilities listed to everyone (``/stream/ready``); owners also see their own."""
OPEN = frozenset({PUBLIC, UNLISTED})
"""Visibilities whose media anyone may read."""


class Audience(StrEnum):
    """A playback token's ``aud``: what kind of bytes it opens (Mux's letters)."""

    VIDEO = "v"
    THUMBNAIL = "t"
    STORYBOARD = "s"
    ANIMATED = "g"


@dataclass(frozen=True)
class PlaybackGrant:
    """The verified claims of a playback token."""

    video_id: str
    audience: str | None
    """``None``: a token without ``aud`` (Cloudflare's signed-URL shape) opens every kind of
    bytes of its video: playlists, segments and images alike."""
    key_owner: str | None
    """Owner of the signing key; ``None`` for the server's own key (any video)."""
    expires_at: datetime


class PlaybackTokenVerifier(Protocol):
    def verify(self, token: str) -> PlaybackGrant:
        """Check signature, ``exp`` and revocation; raise ``Forbidden`` (``playback_token_*``)."""
        ...


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the signed-in user (if any) and the playback token they sent (if any)."""

    user: str | None = None
    token: str | None = None


@dataclass(frozen=True)
class Access:
    private: bool
    """The answer must not be kept by shared caches (``Cache-Control: private``)."""
    by_token: bool = False
    """Granted by a playback token (carry it into the URIs a playlist names)."""


def authorize(
    video: Video,
    viewer: Viewer,
    audience: Audience,
    tokens: PlaybackTokenVerifier,
    *,
    owner_only: bool = False,
) -> Access:
    """Allow the read or raise. ``owner_only``: an owner surface (see the module doc).

    Refusals: owner surfaces without any credential -> ``Unauthorized`` (``unauthorized``),
    another user -> ``Forbidden`` (``access_denied``); private media without a token ->
    ``Forbidden`` (``playback_token_required``); a token that does not fit ->
    ``Forbidden`` (``playback_token_*``).
    """
    private = owner_only or video.visibility not in OPEN
    if viewer.user is not None and viewer.user == video.owner:
        return Access(private=private)
    if not private:
        return Access(private=False)
    if viewer.token is not None:
        check_grant(video, tokens.verify(viewer.token), audience)
        return Access(private=True, by_token=True)
    if owner_only:
        if viewer.user is None:
            raise Unauthorized("Unauthorized", code="unauthorized")
        raise Forbidden("access denied", code="access_denied")
    raise Forbidden("this video is private: a playback token is required", code=TOKEN_REQUIRED)


def check_grant(video: Video, grant: PlaybackGrant, audience: Audience) -> None:
    """A token of vidhost's own signed playback: ``sub`` is the video; no ``aud`` opens every
    kind of bytes of that video."""
    _check_grant(grant, video, subject=video.id, of="video", audience=audience, any_aud=True)


def _check_grant(
    grant: PlaybackGrant,
    video: Video,
    *,
    subject: str,
    of: str,
    audience: Audience,
    any_aud: bool,
) -> None:
    """``grant`` is for ``subject`` (a video or playback id), for ``audience`` (or none when
    ``any_aud``), and signed by a key of the video's owner or the server's."""
    if grant.video_id != subject:
        raise Forbidden(
            f"the playback token is for another {of}", code="playback_token_wrong_video"
        )
    if not (any_aud and grant.audience is None) and grant.audience != audience.value:
        raise Forbidden(
            f"the playback token's audience is {grant.audience!r}, this needs {audience.value!r}",
            code="playback_token_wrong_audience",
        )
    if grant.key_owner is not None and grant.key_owner != video.owner:
        raise Forbidden(
            "the playback token is signed with a key of another user",
            code="playback_token_wrong_key",
        )


def is_listed(video: Video, user: str | None) -> bool:
    """Whether ``video`` appears in listings shown to ``user`` (``None``: anonymous)."""
    return video.visibility in LISTED or (user is not None and user == video.owner)


def may_see_embedded(video: Video | None, author: str, user: str) -> bool:
    """Whether ``user`` may read a post by ``author`` that embeds ``video``.

    The author always; anyone else only when the post embeds a public or unlisted video
    (a post must not disclose a private video, and a text post is its author's own).
    """
    if user == author:
        return True
    return present(video) and video.visibility in OPEN


TOKEN_REQUIRED = "playback_token_required"


def authorize_playback_id(
    playback_id: str,
    policy: str,
    video: Video,
    token: str | None,
    audience: Audience,
    tokens: PlaybackTokenVerifier,
) -> Access:
    """Reads through a playback id (the Mux surface): a ``public`` id is open whatever the
    video's visibility; a ``signed`` one needs a token whose ``sub`` is the playback id (as
    Mux signs), with the right ``aud``, from a key of the video's owner or the server's."""
    if policy == "public":
        return Access(private=False)
    if token is None:
        raise Forbidden("this playback id is signed: a token is required", code=TOKEN_REQUIRED)
    grant = tokens.verify(token)
    _check_grant(
        grant, video, subject=playback_id, of="playback id", audience=audience, any_aud=False
    )
    return Access(private=True, by_token=True)
