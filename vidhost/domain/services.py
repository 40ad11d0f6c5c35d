"""Video services: the only code that changes a video's state."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vidhost.domain.errors import Forbidden, InvalidInput, NotFound, StorageFailure, TooLarge
from vidhost.domain.layout import (
    enhanced_prefix,
    hls_prefix,
    metadata_key,
    source_key,
    video_prefix,
)
from vidhost.domain.lifecycle import (
    INTERNAL_KINDS,
    TASK_DONE,
    TaskKind,
    TaskStatus,
    VideoState,
    sources_of,
    transition,
)
from vidhost.domain.models import TASK_CHANGED, VIDEO_STATE_CHANGED, DomainEvent, Task, Video
from vidhost.domain.ports import JobQueue, Prober, SourceInfo, Storage, VideoRepository

log = logging.getLogger(__name__)

__all__ = ["hls_prefix", "source_key", "video_prefix"]  # re-exported from the layout

TaskPlanner = Callable[[Video], Iterable[TaskKind]]


def default_plan(video: Video) -> list[TaskKind]:
    return [TaskKind.TRANSCODE]


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


@dataclass
class Limits:
    max_upload_bytes: int
    max_duration_seconds: float | None = None
    """Longest accepted source (probed); ``None``: no limit."""

    def check_duration(self, duration: float) -> None:
        limit = self.max_duration_seconds
        if limit is not None and duration > limit:
            raise InvalidInput(
                f"the video lasts {duration:.1f} s, longer than the {limit:g} s limit",
                code="duration_too_long",
            )


class VideoService:
    def __init__(
        self,
        repo: VideoRepository,
        storage: Storage,
        jobs: JobQueue,
        prober: Prober,
        limits: Limits,
        planner: TaskPlanner = default_plan,
    ) -> None:
        self.repo = repo
        self.storage = storage
        self.jobs = jobs
        self.prober = prober
        self.limits = limits
        self.planner = planner

    # --- reads ------------------------------------------------------------------------------

    def get(self, video_id: str, *, owner: str | None = None) -> Video:
        """The video, if it exists and (when ``owner`` is given) belongs to ``owner``."""
        video = self.repo.get_video(video_id)
        if video is None or video.state is VideoState.DELETED:
            raise NotFound("video not found", code="video_not_found")
        if owner is not None and video.owner != owner:
            raise Forbidden("access denied", code="access_denied")
        return video

    def tasks(self, video_id: str) -> list[Task]:
        return self.repo.list_tasks(video_id)

    # --- upload -----------------------------------------------------------------------------

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def upload_file(
        self,
        *,
        owner: str,
        path: Path,
        filename: str | None,
        content_type: str | None,
        client_id: str | None = None,
        options: dict[str, Any] | None = None,
        video_id: str | None = None,
    ) -> Video:
        """Validate a complete local file, store it and start processing. Consumes ``path``."""
        try:
            info = self._validate_source(path)
            video = Video(
                id=video_id or self.new_id(),
                owner=owner,
                filename=filename,
                content_type=content_type,
                client_id=client_id,
                options=dict(options or {}),
            )
            video.source_key = source_key(video.id)
            try:
                self.storage.put_file(video.source_key, path, move=True)
            except OSError as exc:
                log.exception("storing upload %s failed", video.id)
                raise StorageFailure("could not store the uploaded file") from exc
        finally:
            path.unlink(missing_ok=True)
        _apply_source_info(video, info)
        video.state = transition(VideoState.CREATED, VideoState.UPLOADED)
        self.repo.add_video(video, event=state_event(video, VideoState.UPLOADED))
        self.start_processing(video.id)
        return video

    def create_pending(
        self,
        *,
        owner: str,
        filename: str | None = None,
        content_type: str | None = None,
        client_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        state: VideoState = VideoState.CREATED,
        video_id: str | None = None,
    ) -> Video:
        """A record whose bytes will arrive later (pre-signed URL, tus, hybrid init)."""
        video = Video(
            id=video_id or self.new_id(),
            owner=owner,
            state=state,
            filename=filename,
            content_type=content_type,
            client_id=client_id,
            metadata=dict(metadata or {}),
            options=dict(options or {}),
        )
        video.source_key = source_key(video.id)
        self.repo.add_video(video, event=state_event(video, state))
        return video

    def complete_upload(self, video_id: str, *, max_bytes: int | None = None) -> Video:
        """The source object is complete in storage: validate it and start processing.

        Idempotent: only the first call for a video moves it to ``uploaded`` and dispatches
        processing; later calls return the video unchanged. An object larger than
        ``max_bytes`` (e.g. the size the client declared) or the upload limit is removed and
        the video ends ``failed`` (``file_too_large``); an invalid source ends ``failed`` with
        the probe's error code. Either way the error is raised.
        """
        video = self.get(video_id)
        if video.state not in (VideoState.CREATED, VideoState.UPLOADING):
            return video
        assert video.source_key is not None
        try:
            info = self.storage.stat(video.source_key)
        except FileNotFoundError:
            raise InvalidInput(
                "no uploaded file for this video", code="upload_incomplete"
            ) from None
        cap = self.limits.max_upload_bytes
        if max_bytes is not None:
            cap = min(cap, max_bytes)
        if info.size > cap:
            self.reject_upload(video, f"the uploaded file ({info.size} bytes) exceeds {cap} bytes")
            raise TooLarge("File too large", code="file_too_large")
        try:
            with self.storage.local_copy(video.source_key) as path:
                source = self.prober.probe(path)
            self.limits.check_duration(source.duration)
        except InvalidInput as exc:
            self.change_state(
                video, VideoState.FAILED, error_code=exc.code, error_message=exc.message
            )
            raise
        if not self.change_state(video, VideoState.UPLOADED, **source_fields(source)):
            return self.get(video_id)  # someone else completed it first
        self.start_processing(video.id)
        return self.get(video_id)

    def reject_upload(self, video: Video, message: str) -> None:
        """Remove an oversized source and mark the video failed (``file_too_large``)."""
        assert video.source_key is not None
        self.storage.delete(video.source_key)
        self.change_state(
            video, VideoState.FAILED, error_code="file_too_large", error_message=message
        )
        log.info("upload %s rejected: %s", video.id, message)

    def _validate_source(self, path: Path) -> SourceInfo:
        size = path.stat().st_size
        if size > self.limits.max_upload_bytes:
            raise TooLarge(f"file exceeds the {self.limits.max_upload_bytes} byte limit")
        info = self.prober.probe(path)
        self.limits.check_duration(info.duration)
        return info

    def start_processing(self, video_id: str) -> list[TaskKind]:
        """Create the task rows for an uploaded video, then dispatch them (after commit)."""
        video = self.get(video_id)
        kinds = list(self.planner(video))
        self.start_tasks(video_id, kinds)
        return kinds

    def start_tasks(self, video_id: str, kinds: Iterable[TaskKind]) -> None:
        """Ensure a row for each task, then dispatch them (a task already done is a no-op)."""
        kinds = list(kinds)
        for kind in kinds:
            self.repo.ensure_task(video_id, kind)
        for kind in kinds:
            self.jobs.dispatch(video_id, kind)

    # --- processing transitions ---------------------------------------------------------------

    def change_state(self, video: Video, target: VideoState, **fields: Any) -> bool:
        extra = {k: v for k, v in fields.items() if k in ("error_code", "error_message")}
        return self.repo.change_state(
            video.id,
            target,
            expected=sources_of(target),
            event=state_event(video, target, **extra),
            **fields,
        )

    def report_task(
        self,
        video_id: str,
        kind: TaskKind,
        status: TaskStatus,
        progress: float,
        *,
        error_code: str | None = None,
        error: str | None = None,
        part: int = 0,
        token: str | None = None,
        only_if: TaskStatus | None = None,
    ) -> bool:
        """Write a task's status (and its ``task.progress`` event, except for the parts of a
        task). With ``token`` the write is fenced: refused (False) once the claim is lost."""
        event = None
        if kind not in INTERNAL_KINDS:
            event = task_event(video_id, kind, status, progress, error, error_code)
        return self.repo.update_task(
            video_id,
            kind,
            status=status,
            progress=progress,
            error_code=error_code,
            error=error,
            event=event,
            part=part,
            token=token,
            only_if=only_if,
        )

    def start_parts(self, video_id: str, parts: Iterable[tuple[TaskKind, int]]) -> None:
        """Ensure a row for each ``(kind, part)``, then dispatch the ones not done."""
        rows = [self.repo.ensure_task(video_id, kind, part=part) for kind, part in parts]
        for task in rows:
            if task.status not in TASK_DONE:
                self.jobs.dispatch(video_id, task.kind, task.part)

    def delete(self, video_id: str, *, owner: str | None = None) -> None:
        video = self.get(video_id, owner=owner)
        self.change_state(video, VideoState.DELETED)
        self.storage.delete_prefix(video_prefix(video.id))
        # Seed 004 outputs live outside the video's prefix (processed_videos/...).
        self.storage.delete(metadata_key(video.id))
        self.storage.delete_prefix(enhanced_prefix(video.id))


def source_fields(info: SourceInfo) -> dict[str, Any]:
    """The video fields a probe determines (their names match ``Video`` attributes)."""
    return asdict(info)


def _apply_source_info(video: Video, info: SourceInfo) -> None:
    for name, value in source_fields(info).items():
        setattr(video, name, value)


def require_input(condition: bool, message: str, code: str = "invalid_request") -> None:
    if not condition:
        raise InvalidInput(message, code=code)
