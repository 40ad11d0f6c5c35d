"""The video lifecycle: one explicit transition table and a pure ``transition()``."""

from __future__ import annotations

from enum import StrEnum

from vidhost.core.errors import InvalidTransition


class VideoState(StrEnum):
    CREATED = "created"
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    DELETED = "deleted"


S = VideoState

TRANSITIONS: dict[VideoState, frozenset[VideoState]] = {
    S.CREATED: frozenset({S.UPLOADING, S.UPLOADED, S.FAILED, S.DELETED}),
    S.UPLOADING: frozenset({S.CREATED, S.UPLOADED, S.FAILED, S.DELETED}),
    S.UPLOADED: frozenset({S.PROCESSING, S.FAILED, S.DELETED}),
    S.PROCESSING: frozenset({S.READY, S.FAILED, S.DELETED}),
    S.READY: frozenset({S.FAILED, S.DELETED}),
    # READY -> FAILED: a video is ready as soon as it is playable, before every chunk is
    # encoded (ADR 0061); a media failure found in a later chunk fails it then.
    S.FAILED: frozenset({S.DELETED}),
    S.DELETED: frozenset(),
}

TERMINAL: frozenset[VideoState] = frozenset({S.READY, S.FAILED, S.DELETED})


def can_transition(current: VideoState, target: VideoState) -> bool:
    return target in TRANSITIONS[current]


def transition(current: VideoState, target: VideoState) -> VideoState:
    """Return ``target`` if the table allows ``current -> target``; raise otherwise."""
    if not can_transition(current, target):
        raise InvalidTransition(current.value, target.value)
    return target


def sources_of(target: VideoState) -> frozenset[VideoState]:
    """Every state from which ``target`` may be reached (for conditional updates)."""
    return frozenset(state for state, targets in TRANSITIONS.items() if target in targets)


class TaskKind(StrEnum):
    TRANSCODE = "transcode"
    THUMBNAILS = "thumbnails"
    METADATA_EXTRACTION = "metadata_extraction"
    VIDEO_ENHANCEMENT = "video_enhancement"
    TRANSCODE_CHUNK = "transcode_chunk"
    """One chunk of the ladder (``part`` = chunk index); part of the ``transcode``."""
    TRANSCODE_AUDIO = "transcode_audio"
    """The audio rendition, encoded once per video; part of the ``transcode``."""
    INGEST = "ingest"
    """The source of a video the server makes (a clip's cut, a Mux URL pull), handed to
    ``accept_source`` (ADR 0094)."""
    STATIC_RENDITION = "static_rendition"
    """One static rendition file (MP4/M4A) remuxed from a stored rung (``part`` = the rung's
    height, 0 for the audio; ADR 0065)."""
    QUALITY_MEASUREMENT = "quality_measurement"
    """VMAF of every stored rung against the source, once the ladder is stored (ADR 0045)."""
    CAPTIONS = "captions"
    """Captions generated from the speech of a ready video (``part`` = the language asked
    for, ``core.caption_generation.language_part``; 0 for ``auto``; ADR 0069)."""


INTERNAL_KINDS: frozenset[TaskKind] = frozenset(
    {TaskKind.TRANSCODE_CHUNK, TaskKind.TRANSCODE_AUDIO}
)
"""Parts of another task: never listed on a surface and emit no events of their own (the
``transcode`` row reports their progress)."""

UNLISTED_KINDS: frozenset[TaskKind] = INTERNAL_KINDS | {
    TaskKind.STATIC_RENDITION,
    TaskKind.QUALITY_MEASUREMENT,
    TaskKind.INGEST,
}
"""Kinds no surface lists as tasks and whose rows emit no task events: the parts of the
``transcode``, static renditions (each surface shows those as their own objects), the
quality measurement (its figures are the renditions') and the ingest of a source the
server makes (the video's state tells it)."""


class TaskStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


TASK_DONE: frozenset[TaskStatus] = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED})
