"""Video services: the only code that changes a video's state."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vidhost.domain.errors import (
    CodedError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    StorageFailure,
    TooLarge,
)
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
from vidhost.domain.limits import check_metadata
from vidhost.domain.messages import public
from vidhost.domain.models import (
    TASK_CHANGED,
    VIDEO_STATE_CHANGED,
    DomainEvent,
    Task,
    Video,
    utcnow,
)
from vidhost.domain.ports import JobQueue, Prober, SourceInfo, Storage, VideoRepository
from vidhost.domain.telemetry import NoTelemetry, Telemetry

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
    """Longest accepted source; ``None``: no limit. The prober enforces it (with the other
    media limits) on the probed file; uploads that declare a duration are checked early."""


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
        self.telemetry: Telemetry = NoTelemetry()
        """Upload and readiness metrics (set by ``vidhost.wiring``)."""

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
            size: int | None = path.stat().st_size
        except OSError:
            size = None
        try:
            video = self._store_file(
                path, owner, filename, content_type, client_id, options, video_id
            )
        except CodedError:
            self.telemetry.upload_finished("form", "rejected", size)
            raise
        self.telemetry.upload_finished("form", "accepted", size)
        return video

    def _store_file(
        self,
        path: Path,
        owner: str,
        filename: str | None,
        content_type: str | None,
        client_id: str | None,
        options: dict[str, Any] | None,
        video_id: str | None,
    ) -> Video:
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
                stored = self.storage.put_file(video.source_key, path, move=True)
            except OSError as exc:
                log.exception("storing upload %s failed", video.id)
                raise StorageFailure("could not store the uploaded file") from exc
        finally:
            path.unlink(missing_ok=True)
        _apply_source_info(video, info)
        video.source_etag = stored.etag
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
            metadata=check_metadata(metadata),
            options=dict(options or {}),
        )
        video.source_key = source_key(video.id)
        self.repo.add_video(video, event=state_event(video, state))
        return video

    def complete_upload(
        self, video_id: str, *, max_bytes: int | None = None, way: str = "resumable"
    ) -> Video:
        """The source object is complete in storage: validate it and start processing.

        Idempotent: only the first call for a video moves it to ``uploaded`` and dispatches
        processing; later calls return the video unchanged. An object larger than
        ``max_bytes`` (e.g. the size the client declared) or the upload limit is removed and
        the video ends ``failed`` (``file_too_large``); an invalid source is removed too and
        ends ``failed`` with the probe's error code. Either way the error is raised. The
        object's ETag is kept: a source that changes later is refused (``source_changed``).
        ``way`` names the way in for metrics: ``resumable`` (tus, seed 003) or ``direct``.
        """
        video = self.get(video_id)
        if video.state not in (VideoState.CREATED, VideoState.UPLOADING):
            return video
        assert video.source_key is not None
        try:
            info = self.storage.stat(video.source_key)
        except FileNotFoundError:
            raise Conflict("no uploaded file for this video", code="upload_incomplete") from None
        cap = self.limits.max_upload_bytes
        if max_bytes is not None:
            cap = min(cap, max_bytes)
        if info.size > cap:
            self.reject_upload(video, f"the uploaded file ({info.size} bytes) exceeds {cap} bytes")
            self.telemetry.upload_finished(way, "rejected", info.size)
            raise TooLarge("File too large", code="file_too_large")
        try:
            with self.storage.local_copy(video.source_key) as path:
                source = self.prober.probe(path)
            if self.storage.stat(video.source_key).etag != info.etag:
                raise Conflict(
                    "the uploaded file changed while it was checked", code="source_changed"
                )
        except (InvalidInput, Conflict) as exc:
            self.reject_source(video, exc.code, exc.message)
            self.telemetry.upload_finished(way, "rejected", info.size)
            raise
        fields = {**source_fields(source), "source_etag": info.etag}
        if not self.change_state(video, VideoState.UPLOADED, **fields):
            return self.get(video_id)  # someone else completed it first
        self.telemetry.upload_finished(way, "accepted", info.size)
        self.start_processing(video.id)
        return self.get(video_id)

    def reject_upload(self, video: Video, message: str) -> None:
        """Remove an oversized source and mark the video failed (``file_too_large``)."""
        self.reject_source(video, "file_too_large", message)

    def reject_source(self, video: Video, code: str, message: str) -> None:
        """The source is refused for what it is: delete its bytes, mark the video failed.

        No rejected upload keeps bytes in storage (the record, with its error, stays).
        """
        self.storage.delete(source_key(video.id))
        self.change_state(video, VideoState.FAILED, error_code=code, error_message=message)
        log.info("source of %s rejected: %s (%s)", video.id, message, code)

    def _validate_source(self, path: Path) -> SourceInfo:
        size = path.stat().st_size
        if size > self.limits.max_upload_bytes:
            raise TooLarge(f"file exceeds the {self.limits.max_upload_bytes} byte limit")
        return self.prober.probe(path)

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
        if fields.get("error_message"):
            fields["error_message"] = public(fields["error_message"])
        extra = {k: v for k, v in fields.items() if k in ("error_code", "error_message")}
        changed = self.repo.change_state(
            video.id,
            target,
            expected=sources_of(target),
            event=state_event(video, target, **extra),
            **fields,
        )
        if changed and target is VideoState.READY:
            self.telemetry.video_ready((utcnow() - video.created_at).total_seconds())
        return changed

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
            event = task_event(video_id, kind, status, progress, public(error), error_code)
        return self.repo.update_task(
            video_id,
            kind,
            status=status,
            progress=progress,
            error_code=error_code,
            error=public(error),
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
