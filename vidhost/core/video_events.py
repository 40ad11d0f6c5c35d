"""The events a video's changes emit: its state changed, one of its tasks changed."""

from __future__ import annotations

from typing import Any

from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import TASK_CHANGED, VIDEO_STATE_CHANGED, DomainEvent, Video


def state_event(video: Video, state: VideoState, **extra: Any) -> DomainEvent:
    data: dict[str, Any] = {"state": state.value, "owner": video.owner, **extra}
    if video.client_id:
        data["client_id"] = video.client_id
    return DomainEvent(type=VIDEO_STATE_CHANGED, video_id=video.id, data=data)


def task_event(
    video_id: str,
    kind: TaskKind,
    status: TaskStatus,
    progress: float,
    error: str | None = None,
    error_code: str | None = None,
) -> DomainEvent:
    return DomainEvent(
        type=TASK_CHANGED,
        video_id=video_id,
        data={
            "kind": kind.value,
            "status": status.value,
            "progress": round(progress, 1),
            "error": error,
            "error_code": error_code,
        },
    )
