"""Text tracks (captions and subtitles) of a video: the record, its rules and its store's port.

One record per track, whatever surface made it (vidhost's ``/api/videos/{id}/captions``,
Mux's ``tracks`` of ``type: text``, Cloudflare's ``captions/{language}``) and whoever wrote
its text (``source``: ``uploaded`` by a user, or ``generated`` by speech recognition):

- lifecycle ``preparing -> ready | errored``: an upload is checked before anything is stored
  and is ``ready`` at once; a URL pull or a generation is ``preparing`` until its text is in;
- the text is one sanitized WebVTT file (``core.webvtt``) at ``layout.text_key``; HLS
  serves it cut into segments, DASH and the ``.vtt`` routes whole (ADR 0068);
- every change writes a ``text_track`` event in the same transaction (webhooks'
  ``video.asset.track.*``).

Pure: the record, the rules, the port.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from vidhost.core.errors import InvalidInput, NotFound
from vidhost.core.models import TEXT_TRACK_CHANGED, DomainEvent, utcnow

PREPARING = "preparing"
READY = "ready"
ERRORED = "errored"

UPLOADED = "uploaded"
GENERATED = "generated"

SUBTITLES = "subtitles"
"""The one ``text_type`` (Mux's word); closed captions are subtitles with ``closed_captions``."""

CREATED = "created"
DELETED = "deleted"
"""Event ``change`` values besides the statuses (``created``, ``ready``, ``errored``,
``deleted``): what webhooks call ``video.asset.track.{change}``."""

_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|\d{3}))?(-[A-Za-z0-9]{5,8})*$")
_ALPHABET = string.ascii_letters + string.digits
MAX_NAME = 128


def new_id() -> str:
    """A track id: 32 letters and digits (usable as is in file names and URLs)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(32))


def is_track_id(value: str) -> bool:
    return len(value) == 32 and all(c in _ALPHABET for c in value)


def language_tag(value: str | None) -> str:
    """``value`` as a BCP 47 tag in its usual case (``en``, ``en-US``, ``zh-Hans-CN``);
    400 ``invalid_request`` when it is not one."""
    tag = (value or "").strip().replace("_", "-")
    if not tag or len(tag) > 35 or not _BCP47.match(tag):
        raise InvalidInput(
            f"language must be a BCP 47 tag such as en or pt-BR, not {value!r}",
            code="invalid_request",
        )
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def track_name(name: str | None, language: str) -> str:
    """The display name: given (trimmed, at most 128 characters), else the language tag."""
    cleaned = " ".join((name or "").split())[:MAX_NAME]
    return cleaned or language


def track_not_found() -> NotFound:
    return NotFound("no such text track of this video", code="track_not_found")


@dataclass
class TextTrack:
    id: str
    video_id: str
    language: str
    """BCP 47 (``en``, ``pt-BR``)."""
    name: str
    closed_captions: bool = False
    generated: bool = False
    source: str = UPLOADED
    """``uploaded`` or ``generated`` (Mux's ``text_source``: ``uploaded`` / ``generated_vod``)."""
    status: str = PREPARING
    text_type: str = SUBTITLES
    detected_language: str | None = None
    """A generated track: the language the recognizer heard, when not the one asked for."""
    passthrough: str | None = None
    url: str | None = None
    """A track pulled from a URL (Mux ``url``): where its text came from."""
    size_bytes: int | None = None
    cues: int | None = None
    error_code: str | None = None
    error: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @property
    def ready(self) -> bool:
        return self.status == READY


def changed_event(owner: str, track: TextTrack, change: str) -> DomainEvent:
    """``change``: ``created``, ``ready``, ``errored`` or ``deleted``."""
    return DomainEvent(
        type=TEXT_TRACK_CHANGED,
        video_id=track.video_id,
        data={
            "owner": owner,
            "change": change,
            "id": track.id,
            "language": track.language,
            "name": track.name,
            "status": track.status,
            "closed_captions": track.closed_captions,
            "generated": track.generated,
            "passthrough": track.passthrough,
            "error_code": track.error_code,
        },
    )


class TextTrackStore(Protocol):
    """Text track records (the SQL adapter: ``adapters/db/text_tracks.py``). Every write
    emits its ``text_track`` event in the same transaction."""

    def add(self, track: TextTrack, *, owner: str, words: str | None = None) -> TextTrack:
        """Insert (event ``created``, and ``ready`` when it is inserted ready). ``words``:
        its text as plain text (``Captions.plain_text``), kept for the video search."""
        ...

    def get(self, video_id: str, track_id: str) -> TextTrack | None: ...

    def of_video(self, video_id: str) -> list[TextTrack]:
        """The video's tracks, oldest first."""
        ...

    def finish(self, track: TextTrack, *, owner: str, **values: object) -> TextTrack | None:
        """A preparing track -> ``values`` (``status`` ready or errored, sizes, error, and
        ``words`` for the search); None when it is not preparing any more (deleted, or
        finished by another)."""
        ...

    def delete(self, video_id: str, track_id: str, *, owner: str) -> TextTrack | None:
        """Remove the record (event ``deleted``); the removed record, or None."""
        ...
