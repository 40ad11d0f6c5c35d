"""Domain records. Plain dataclasses: no ORM, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, TypeGuard

from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive one (SQLite keeps no zone) is taken as UTC already. Every
    timestamp a store reads or writes goes through it (``adapters.db.tables.UTCDateTime``,
    the Mux store)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass
class Rendition:
    name: str
    width: int
    height: int
    bitrate: int
    playlist: str
    """File name of the variant playlist, relative to the video's stream root."""
    codec: str | None = None
    """RFC 6381 codec of the video (``avc1.64001f``); ``None`` on records made before."""
    average_bitrate: int | None = None
    """Bits/s the master playlist advertises as ``AVERAGE-BANDWIDTH`` (video + audio): the
    plan's until every segment is stored, then the measured figure (ADR 0045)."""
    peak_bitrate: int | None = None
    """The same for ``BANDWIDTH`` (the peak segment bit rate, RFC 8216 4.3.4.2)."""
    measured: bool = False
    """Whether ``average_bitrate``/``peak_bitrate`` are measured from the stored segments."""
    vmaf_mean: float | None = None
    """VMAF of the rung against the source (upscaled bicubic, subsampled; ADR 0045)."""
    vmaf_p5: float | None = None
    """The 5th percentile of the per-frame VMAF scores measured."""


@dataclass
class Video:
    id: str
    owner: str
    state: VideoState = VideoState.CREATED
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    filename: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    source_key: str | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    fps: float | None = None
    bitrate: int | None = None
    renditions: list[Rendition] = field(default_factory=list)
    manifest_key: str | None = None
    poster_key: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    client_id: str | None = None
    title: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    visibility: str = "public"
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form client metadata (upload URLs' ``metadata``, upload sessions' ``session_id``
    ...)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Processing options chosen at upload time (e.g. ``{"enhance": "default"}``)."""
    ready_at: datetime | None = None
    delete_at: datetime | None = None
    """When the video is deleted by itself (Mux ``test`` assets, Cloudflare
    ``scheduledDeletion``; ADR 0094); None: kept until deleted."""
    declared_size: int | None = None
    """Size the client announced for a direct upload; a larger stored object is refused."""
    upload_expires_at: datetime | None = None
    """When the pre-signed upload URL stops working (direct uploads only)."""
    multipart_upload_id: str | None = None
    """The S3 multipart upload in progress for the source, if any."""
    source_format: str | None = None
    """Container the probe found in the source (e.g. ``mov,mp4,m4a,3gp,3g2,mj2``); every later
    open of the source is pinned to it."""
    source_etag: str | None = None
    """Storage ETag of the source when it was accepted; a task or render that finds another
    one refuses the source (``source_changed``)."""
    source_probe: dict[str, Any] | None = None
    """The probe of the accepted source (the prober's JSON, ADR 0090); a task that finds the
    accepted ETag uses it instead of probing again."""

    @property
    def audio_only(self) -> bool:
        """An accepted source with audio and no video stream (ADR 0066): no frames to show."""
        return self.audio_codec is not None and self.video_codec is None

    @property
    def display_title(self) -> str:
        """What a person reads for this video: its title (which the Mux ``meta.title`` and
        the Cloudflare ``meta.name`` set), else its file name, never its id (issue 24)."""
        return self.title or self.filename or UNTITLED


def present(video: Video | None) -> TypeGuard[Video]:
    """Whether ``video`` (a row just read, ``None`` when there is none) is there: it exists
    and is not deleted. A deleted video keeps its row (a tombstone), so every reader and
    worker asks this, never ``is None`` alone. The one place the rule is written (issue 20;
    ``tests/unit/architecture/test_import_graph.py`` finds any other)."""
    return video is not None and video.state is not VideoState.DELETED


UNTITLED: Final = "Untitled video"
"""The display title of a video with neither a title nor a file name."""


@dataclass
class Task:
    video_id: str
    kind: TaskKind
    part: int = 0
    """Chunk index for ``transcode_chunk``; 0 for every other kind."""
    status: TaskStatus = TaskStatus.PENDING
    progress: float = 0.0
    error_code: str | None = None
    error: str | None = None
    attempts: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    heartbeat_at: datetime | None = None
    claim_token: str | None = None
    """The fence of the current claim: only its holder may heartbeat, report or finish."""
    requested_at: datetime | None = None
    """When a player last asked for a segment of this part that was not stored (ADR 0061)."""
    requested_rendition: str | None = None
    """The rendition of that request: the first chunk encodes it next (ADR 0062)."""


@dataclass(frozen=True)
class DomainEvent:
    """Emitted for every persisted transition or progress step."""

    type: str
    """``video.state`` or ``task.progress`` (later: webhooks map these to public names)."""
    video_id: str
    data: dict[str, Any]
    at: datetime = field(default_factory=utcnow)
    id: int | None = None
    """Position in the event log once persisted."""


VIDEO_STATE_CHANGED = "video.state"
TASK_CHANGED = "task.progress"
VIDEO_NOTICE = "video.notice"
"""Something webhooks tell about a video that is no state change (``data``: ``owner`` and
``notice``, a public event type such as ``video.asset.updated``, ``video.original.ready``,
``video.upload.cancelled``). The owner's events socket shows ``EDITED`` (``/api/events``:
``{"type": "updated"}``), so an open library follows an edit made elsewhere."""
EDITED = "video.asset.updated"
"""The notice of an owner's edit of a video's record (title, description, tags, visibility,
a surface's metadata), from every surface that edits it (``VideoService.notify``)."""
STATIC_RENDITION_CHANGED = "static_rendition"
"""A static rendition reached ``ready``/``errored``/``skipped`` (``data``: ``owner``, ``id``,
``name``, ``status``, ``origin``, ``all_done``: no other rendition of the video is preparing;
ADR 0065). The webhook outbox turns it into Mux's ``video.asset.static_rendition.*`` and
``video.asset.static_renditions.ready``."""
TEXT_TRACK_CHANGED = "text_track"
"""A text track was created, became ready or errored, or was deleted (``data``: ``owner``,
``change``, ``id``, ``language``, ``name``, ``status``, ...; ADR 0068). The webhook outbox
turns it into Mux's ``video.asset.track.{created,ready,errored,deleted}``."""
WEBHOOK_EVENTS = frozenset(
    {VIDEO_STATE_CHANGED, VIDEO_NOTICE, STATIC_RENDITION_CHANGED, TEXT_TRACK_CHANGED}
)
"""The domain events the webhook outbox reads."""
SEGMENTS_STORED = "segments.stored"
"""A part stored some segments (``data``: ``kind``, ``part``, ``segments``): it wakes the
requests held for them (ADR 0063). Internal: no socket, stream or webhook shows it."""


@dataclass
class SigningKey:
    """A user's RS256 playback signing key. Only the public half is kept (ADR 0050)."""

    id: str
    owner: str
    public_pem: str | None
    """``None`` once deleted (the id is kept: its tokens are *revoked*, not *unknown*)."""
    created_at: datetime = field(default_factory=utcnow)
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class ServerKey:
    """The server's own RS256 playback key, shared by every API node through the database."""

    kid: str
    private_pem: str
    public_pem: str
    created_at: datetime = field(default_factory=utcnow)
