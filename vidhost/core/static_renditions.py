"""Static renditions: downloadable files (MP4, M4A) derived from a video's stored ladder.

One mechanism behind Mux's ``static_renditions``/``mp4_support``, Cloudflare's
``/downloads`` and vidhost's ``/api/videos/{id}/downloads`` (ADR 0065):

- a **static rendition** is a name (``high.mp4``, ``highest.mp4``, ``720p.mp4``,
  ``default.mp4``, ``audio.m4a``) a client asked for, resolved to one rung of the HLS
  ladder (or the audio rendition) once the video's renditions are known;
- the **file** is per rung (``videos/{id}/static/{rung}.mp4``, ``.../audio.m4a``): names
  that resolve to the same rung share it, and it is made once, by one task
  (``static_rendition``, part = the rung's height, 0 for audio), by remuxing the rung's
  stored CMAF segments and the audio rendition (no second encode);
- lifecycle ``preparing -> ready | errored``; ``skipped`` when the source has no such rung
  (Mux's word; a surface that asks for one it must have refuses with 400 instead).

This module is pure: the record, the rules that pick a rung, and the store's port.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from vidhost.core.errors import InvalidInput
from vidhost.core.layout import AUDIO_RENDITION
from vidhost.core.models import STATIC_RENDITION_CHANGED, DomainEvent, Rendition, utcnow

PREPARING = "preparing"
READY = "ready"
ERRORED = "errored"
SKIPPED = "skipped"
DONE = frozenset({READY, ERRORED, SKIPPED})

HIGHEST = "highest"
AUDIO_ONLY = "audio-only"
CAPPED_1080P = "capped-1080p"
DEFAULT = "default"
"""Cloudflare's default download: the highest rung, named ``default.mp4``."""
LEGACY = ("high", "medium", "low")
"""Mux's ``mp4_support: standard`` (deprecated): up to three files, as the rungs allow."""
MUX_HEIGHTS = ("2160p", "1440p", "1080p", "720p", "540p", "480p", "360p", "270p")
"""Mux's resolutions; any ``{N}p`` spec names the rung whose short side is N (vidhost's
default ladder has 1080/720/480/360/240: others are skipped, or refused where a surface
must have them)."""
_HEIGHT = re.compile(r"^[1-9][0-9]{1,3}p$")

MP4_SUPPORT: dict[str, tuple[str, ...]] = {
    "none": (),
    "standard": LEGACY,
    "capped-1080p": (CAPPED_1080P,),
    "audio-only": (AUDIO_ONLY,),
    "audio-only,capped-1080p": (AUDIO_ONLY, CAPPED_1080P),
}
"""Mux ``mp4_support`` -> the specs it asks for."""

ORIGIN_MP4_SUPPORT = "mp4_support"
ORIGIN_API = "api"


def new_id() -> str:
    """A static rendition id in the shape of Mux's (URL-safe, no padding)."""
    return secrets.token_urlsafe(33)[:44]


@dataclass
class StaticRendition:
    id: str
    video_id: str
    name: str
    """The file name clients see (``high.mp4``, ``audio.m4a``); unique per video."""
    spec: str
    """What was asked: ``highest``, ``audio-only``, ``720p``, ``high``, ``default`` ..."""
    origin: str = ORIGIN_API
    status: str = PREPARING
    rung: str | None = None
    """The ladder rendition it is made from (``720p``, ``audio``); None until resolved."""
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None
    size_bytes: int | None = None
    passthrough: str | None = None
    error_code: str | None = None
    error: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @property
    def ext(self) -> str:
        return self.name.rpartition(".")[2]

    @property
    def audio_only(self) -> bool:
        return self.spec == AUDIO_ONLY


def name_of(spec: str) -> str:
    """The file name of a spec: ``highest.mp4``, ``audio.m4a``, ``720p.mp4`` ..."""
    return "audio.m4a" if spec == AUDIO_ONLY else f"{spec}.mp4"


def check_spec(spec: str) -> str:
    """``spec`` if it is one vidhost knows (400 ``unknown_rendition`` otherwise)."""
    known = (HIGHEST, AUDIO_ONLY, CAPPED_1080P, DEFAULT, *LEGACY)
    if spec not in known and not _HEIGHT.match(spec):
        raise InvalidInput(
            f"unknown rendition {spec!r}: highest, audio, or a height such as 720p",
            code="unknown_rendition",
        )
    return spec


def _short(r: Rendition) -> int:
    return min(r.width, r.height)


def rung_for(spec: str, renditions: list[Rendition], has_audio: bool) -> Rendition | str | None:
    """The rung a spec is made from: a video rendition, ``"audio"``, or None when the source
    has none that fits (a 1080p spec on a 480p video, audio of a silent video)."""
    if spec == AUDIO_ONLY:
        return AUDIO_RENDITION if has_audio else None
    ladder = sorted(renditions, key=lambda r: (_short(r), r.bitrate), reverse=True)
    if not ladder:
        return None
    if spec in (HIGHEST, DEFAULT):
        return ladder[0]
    if spec == CAPPED_1080P:
        return next((r for r in ladder if _short(r) <= 1080), None)
    if spec in LEGACY:
        high = next((r for r in ladder if _short(r) <= 1080), None)
        if spec == "high" or high is None:
            return high
        medium = next((r for r in ladder if _short(r) <= 540 and _short(r) < _short(high)), None)
        if spec == "medium":
            return medium
        above = medium or high
        return next((r for r in ladder if _short(r) <= 360 and _short(r) < _short(above)), None)
    wanted = int(spec.removesuffix("p"))
    return next((r for r in ladder if _short(r) == wanted), None)


def rung_part(rung: str) -> int:
    """The task part that makes a rung's file: its height (``720p`` -> 720), 0 for audio."""
    return 0 if rung == AUDIO_RENDITION else int(rung.removesuffix("p"))


def part_rung(part: int) -> str:
    return AUDIO_RENDITION if part == 0 else f"{part}p"


def overall_status(renditions: list[StaticRendition]) -> str:
    """Mux's ``static_renditions.status``: ``disabled`` (none), ``preparing`` while any is,
    ``errored`` if any failed, else ``ready``."""
    live = [r for r in renditions if r.status != SKIPPED]
    if not renditions:
        return "disabled"
    if any(r.status == PREPARING for r in renditions):
        return PREPARING
    if any(r.status == ERRORED for r in live):
        return ERRORED
    return READY


def changed_event(owner: str, rendition: StaticRendition, all_done: bool) -> DomainEvent:
    return DomainEvent(
        type=STATIC_RENDITION_CHANGED,
        video_id=rendition.video_id,
        data={
            "owner": owner,
            "id": rendition.id,
            "name": rendition.name,
            "status": rendition.status,
            "origin": rendition.origin,
            "all_done": all_done,
        },
    )


class StaticRenditionStore(Protocol):
    """Static rendition records (the SQL adapter: ``adapters/db/static_renditions.py``)."""

    def add(self, rendition: StaticRendition) -> StaticRendition:
        """Insert, or return the video's record of the same name if there is one."""
        ...

    def of_video(self, video_id: str) -> list[StaticRendition]: ...

    def resolve(self, rendition_id: str, **fields: object) -> None:
        """Set ``rung``, sizes (and ``status`` ``skipped``, with its event) on a record."""
        ...

    def finish(
        self,
        video_id: str,
        rung: str,
        status: str,
        *,
        owner: str,
        size_bytes: int | None = None,
        error_code: str | None = None,
        error: str | None = None,
    ) -> list[StaticRendition]:
        """Every preparing record of ``rung`` -> ``status``, one event each (same
        transaction); returns them."""
        ...

    def skip(self, rendition: StaticRendition, *, owner: str) -> None:
        """A record the source cannot have -> ``skipped`` (with its event)."""
        ...

    def delete(self, video_id: str, rendition_id: str) -> StaticRendition | None: ...
