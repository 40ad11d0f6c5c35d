"""Video services: the only code that changes a video's state."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from vidhost.core.acceptance import (
    MAX_DURATION_OPTION,
    Limits,
    max_duration,
    probe_and_keep,
    source_fields,
)
from vidhost.core.errors import (
    CodedError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    StorageFailure,
    TooLarge,
)
from vidhost.core.layout import enhanced_prefix, metadata_key, source_key, video_prefix
from vidhost.core.lifecycle import (
    TASK_DONE,
    UNLISTED_KINDS,
    TaskKind,
    TaskStatus,
    VideoState,
    sources_of,
    transition,
)
from vidhost.core.limits import check_metadata, kept_duration
from vidhost.core.messages import public
from vidhost.core.models import (
    SEGMENTS_STORED,
    VIDEO_NOTICE,
    DomainEvent,
    Task,
    Video,
    present,
    utcnow,
)
from vidhost.core.ports import JobQueue, Prober, Storage, VideoRepository
from vidhost.core.sizes import format_size
from vidhost.core.telemetry import NoTelemetry, Telemetry
from vidhost.core.video_events import state_event, task_event

log = logging.getLogger(__name__)

__all__ = ["MAX_DURATION_OPTION", "VideoService"]
"""``MAX_DURATION_OPTION`` lives in ``vidhost.core.acceptance``; re-exported because the
Cloudflare surface still imports it from here (providers were left alone by the port work)."""

TaskPlanner = Callable[[Video], Iterable[TaskKind]]


def default_plan(video: Video) -> list[TaskKind]:
    return [TaskKind.TRANSCODE]


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
        """Upload and readiness metrics (set by ``vidhost.app.wiring``)."""

    # --- reads ------------------------------------------------------------------------------

    def get(self, video_id: str, *, owner: str | None = None) -> Video:
        """The video, if it exists and (when ``owner`` is given) belongs to ``owner``."""
        video = self.repo.get_video(video_id)
        if not present(video):
            raise NotFound("video not found", code="video_not_found")
        if owner is not None and video.owner != owner:
            raise Forbidden("access denied", code="access_denied")
        return video

    def find(self, video_id: str) -> Video | None:
        """The record as stored, a deleted one (its tombstone) included; None if there is
        none. Ask ``present(...)`` of it before treating the video as there."""
        return self.repo.get_video(video_id)

    def listing(
        self,
        *,
        owner: str | None = None,
        states: Sequence[VideoState] | None = None,
        limit: int = 50,
        offset: int = 0,
        search: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        oldest_first: bool = False,
    ) -> tuple[list[Video], int]:
        """Videos not deleted, newest first (``oldest_first``: oldest), and how many match
        (``VideoStore.list_videos``: ``created_after``/``created_before`` bound the creation
        time, exclusive)."""
        return self.repo.list_videos(
            owner=owner,
            states=states,
            limit=limit,
            offset=offset,
            search=search,
            created_after=created_after,
            created_before=created_before,
            oldest_first=oldest_first,
        )

    def ready_ids(self, *, viewer: str | None = None) -> list[str]:
        """Ready videos listed to ``viewer``: public ones, plus ``viewer``'s own."""
        return self.repo.ready_video_ids(viewer=viewer)

    def awaiting_direct_uploads(self) -> list[Video]:
        """``created|uploading`` videos with an upload URL, without client-supplied fields
        (what the direct-upload watcher polls)."""
        return self.repo.awaiting_direct_uploads()

    def due_for_deletion(self, now: datetime) -> list[str]:
        """Videos whose ``delete_at`` has come (ADR 0094): the deletion sweeper's list."""
        return self.repo.due_for_deletion(now)

    def tasks(self, video_id: str) -> list[Task]:
        """The tasks surfaces show (without the parts of a task)."""
        return self.repo.list_tasks(video_id)

    def task(self, video_id: str, kind: TaskKind, part: int = 0) -> Task | None:
        """One task surfaces show (``transcode``, ``metadata_extraction``, a static
        rendition's ``part``...)."""
        return self.repo.get_task(video_id, kind, part=part)

    # --- upload -----------------------------------------------------------------------------

    def new_id(self) -> str:
        return str(uuid.uuid4())

    # --- the one way in ---------------------------------------------------------------------

    def accept_source(
        self,
        video: str | Video,
        *,
        way: str,
        file: Path | None = None,
        max_bytes: int | None = None,
    ) -> Video:
        """Every way in ends here: check the source, keep it, hand it to processing.

        ``video`` is the id of a pending record (``created|uploading``: pre-signed URLs, tus,
        upload sessions, S3 multipart), or a new, unsaved ``Video`` with ``file``
        (``POST /upload``): that record is only added once its source is accepted. ``file``
        is a local file holding the source (consumed: moved into storage when accepted,
        deleted otherwise); without it the source is the object already stored under the
        video's source key. The size cap is the upload limit, or ``max_bytes`` (a size the
        client declared) when smaller. New ways in (Mux, Cloudflare, a URL pull) end here.

        The source is probed once, here; the probe (``SourceInfo``, with the adapter's whole
        result for the tasks) and the stored object's ETag are kept on the video, so a task
        that finds the same ETag reuses the probe and one that finds another refuses the
        source (``source_changed``, ADR 0051). A refused source loses its bytes, and a
        pending record ends ``failed`` with the error's code; the error is raised.

        Idempotent for a pending record: only the first call moves it to ``uploaded`` and
        dispatches processing; later calls return the video unchanged. ``way`` labels the
        upload metrics (``form``, ``resumable``, ``direct``).
        """
        try:
            return self._accept(video, way, file, max_bytes)
        finally:
            if file is not None:
                file.unlink(missing_ok=True)

    def _accept(
        self,
        video: str | Video,
        way: str,
        file: Path | None,
        max_bytes: int | None,
    ) -> Video:
        new = isinstance(video, Video)
        if new and file is None:
            raise ValueError("a new video is accepted from a local file")
        if isinstance(video, str):
            video = self.get(video)
            if video.state not in (VideoState.CREATED, VideoState.UPLOADING):
                return video
        video.source_key = video.source_key or source_key(video.id)
        key = video.source_key
        stored = None
        size: int | None = None
        if file is not None:
            with contextlib.suppress(OSError):
                size = file.stat().st_size
        else:
            try:
                stored = self.storage.stat(key)
            except FileNotFoundError:
                raise Conflict(
                    "no uploaded file for this video", code="upload_incomplete"
                ) from None
            size = stored.size
        self._check_size(
            video, size, way=way, max_bytes=max_bytes, new=new, exact=stored is not None
        )
        try:
            info, etag = probe_and_keep(
                self.storage, self.prober, key, file, stored, max_duration(video)
            )
        except (InvalidInput, Conflict) as exc:
            if not new:
                self.reject_source(video, exc.code, exc.message)
            raise self._refused(way, size, exc) from None
        except StorageFailure as exc:
            raise self._refused(way, size, exc) from None
        except FileNotFoundError:  # removed while being checked (deleted or swept)
            raise Conflict("no uploaded file for this video", code="upload_incomplete") from None
        fields = {**source_fields(info), "source_etag": etag}
        fields["duration"] = kept_duration(video, info.duration)  # a test asset: 10 s
        if new:
            for name, value in fields.items():
                setattr(video, name, value)
            video.state = transition(VideoState.CREATED, VideoState.UPLOADED)
            self.repo.add_video(video, event=state_event(video, VideoState.UPLOADED))
        elif not self.change_state(video, VideoState.UPLOADED, **fields):
            return self.get(video.id)  # someone else completed it first
        self.telemetry.upload_finished(way, "accepted", size)
        self.start_processing(video.id)
        return self.get(video.id)

    def refuse_oversized(
        self, video_id: str, size: int, *, way: str, max_bytes: int | None = None
    ) -> None:
        """A way in announces the size before the bytes (``Content-Length``): refuse the
        source unread if it is over the cap (the video ends ``failed``, ``file_too_large``)."""
        self._check_size(self.get(video_id), size, way=way, max_bytes=max_bytes)

    def _check_size(
        self,
        video: Video,
        size: int | None,
        *,
        way: str,
        max_bytes: int | None,
        new: bool = False,
        exact: bool = False,
    ) -> None:
        cap = self.limits.size_cap(max_bytes)
        if size is None or size <= cap:
            return
        if new:  # nothing was recorded: the caller hears the limit
            raise self._refused(way, size, TooLarge(f"file exceeds the {format_size(cap)} limit"))
        detail = f"the upload exceeds {format_size(cap)}"
        if exact:
            detail = f"the uploaded file ({format_size(size)}) exceeds {format_size(cap)}"
        self.reject_source(video, "file_too_large", detail)
        raise self._refused(way, size, TooLarge("File too large", code="file_too_large"))

    def _refused(self, way: str, size: int | None, exc: CodedError) -> CodedError:
        """Count a refused source; returns ``exc`` for the caller to raise."""
        self.telemetry.upload_finished(way, "rejected", size)
        return exc

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
        details: dict[str, Any] | None = None,
    ) -> Video:
        """``POST /upload``: a new video from a complete local file (consumed); ``details``:
        title, description, tags, visibility the client gave with it."""
        video = Video(
            id=video_id or self.new_id(),
            owner=owner,
            filename=filename,
            content_type=content_type,
            client_id=client_id,
            options=dict(options or {}),
            **(details or {}),
        )
        return self.accept_source(video, way="form", file=path)

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
        visibility: str = "public",
        title: str | None = None,
    ) -> Video:
        """A record whose bytes will arrive later (pre-signed URL, tus, hybrid init)."""
        video = Video(
            id=video_id or self.new_id(),
            owner=owner,
            state=state,
            visibility=visibility,
            title=title,
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
        """The source object is complete in storage: :meth:`accept_source`."""
        return self.accept_source(video_id, way=way, max_bytes=max_bytes)

    def update(self, video_id: str, **fields: Any) -> None:
        """Write fields a client or a way in owns (metadata, upload bookkeeping ...).

        Never the state, nor what acceptance determines (the source and its probe): those
        change only through this service's transitions.
        """
        owned = {"state", "source_key", "source_etag", "source_format", "source_probe"}
        refused = owned.intersection(fields)
        if refused:
            raise ValueError(f"not writable through update: {sorted(refused)}")
        self.repo.update_video(video_id, **fields)

    def notify(self, video: Video, notice: str, **extra: Any) -> None:
        """Tell the video's webhooks ``notice`` (a public event type that is no state
        change: ``video.asset.updated``, ``video.original.ready`` ...)."""
        data: dict[str, Any] = {"owner": video.owner, "notice": notice, **extra}
        self.repo.add_event(DomainEvent(type=VIDEO_NOTICE, video_id=video.id, data=data))

    def discard_pending(self, video: Video, reason: str) -> bool:
        """Delete a record whose bytes never arrived (cleanup), if it is still in the state
        it was seen in; its objects go too. False if it moved on meanwhile."""
        expected = frozenset({video.state}) & frozenset({VideoState.CREATED, VideoState.UPLOADING})
        if not expected:
            return False
        deleted = self.repo.change_state(
            video.id,
            VideoState.DELETED,
            expected=expected,
            event=state_event(video, VideoState.DELETED, reason=reason),
        )
        if deleted:
            self.storage.delete_prefix(video_prefix(video.id))
        return deleted

    def reject_source(self, video: Video, code: str, message: str) -> None:
        """The source is refused for what it is: delete its bytes, mark the video failed.

        No rejected upload keeps bytes in storage (the record, with its error, stays).
        """
        self.storage.delete(source_key(video.id))
        self.change_state(video, VideoState.FAILED, error_code=code, error_message=message)
        log.info("source of %s rejected: %s (%s)", video.id, message, code)

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

    def segments_stored(self, video_id: str, kind: TaskKind, part: int, names: list[str]) -> None:
        """A part stored ``names``: the event wakes the requests held for them (ADR 0064)."""
        data = {"kind": kind.value, "part": part, "segments": names}
        self.repo.add_event(DomainEvent(type=SEGMENTS_STORED, video_id=video_id, data=data))

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
        forward: bool = False,
        give_back: bool = False,
    ) -> bool:
        """Write a task's status (and its ``task.progress`` event, except for the parts of a
        task). With ``token`` the write is fenced: refused (False) once the claim is lost.
        ``forward``: refused unless it moves the progress forward. ``give_back``: a claim
        handed back unfinished; its run does not count as an attempt, and the request it
        served is dropped (the part ranks behind the one it gave way to)."""
        event = None
        if kind not in UNLISTED_KINDS:
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
            forward=forward,
            give_back=give_back,
        )

    def dispatch_again(self, video_id: str, kind: TaskKind, part: int = 0) -> None:
        """Send a task back to the workers (queued again, a re-run, a message re-sent): its
        row is marked dispatched first, so the reconciler does not send it a second time
        (ADR 0073). The one way a task already dispatched once is dispatched again."""
        self.repo.mark_dispatched(video_id, kind, part=part)
        self.jobs.dispatch(video_id, kind, part)

    def start_parts(self, video_id: str, parts: Iterable[tuple[TaskKind, int]]) -> None:
        """Ensure a row for each ``(kind, part)``, then dispatch the ones not done."""
        rows = [self.repo.ensure_task(video_id, kind, part=part) for kind, part in parts]
        for task in rows:
            if task.status not in TASK_DONE:
                self.jobs.dispatch(video_id, task.kind, task.part)

    def delete(self, video_id: str, *, owner: str | None = None) -> None:
        video = self.get(video_id, owner=owner)
        self.change_state(video, VideoState.DELETED)
        # Its unfinished tasks (chunks still encoding) lose their claims: each worker's next
        # fenced write is refused and it stops, killing its ffmpeg (ADR 0061). A worker that
        # stores just after this checks again and removes what it wrote.
        self.repo.cancel_tasks(video.id, code="video_deleted", error="the video was deleted")
        self.remove_stored(video.id)

    def remove_stored(self, video_id: str) -> None:
        """Every object of the video: its prefix, and the processing outputs that live
        outside it (``processed_videos/``). The delete, and any task that wrote something
        of a video deleted meanwhile (``forget_if_deleted``), remove the same set."""
        self.storage.delete_prefix(video_prefix(video_id))
        self.storage.delete(metadata_key(video_id))
        self.storage.delete_prefix(enhanced_prefix(video_id))
