"""Direct-to-storage uploads: the client sends bytes straight to storage.

The backend creates the record, chooses the key and hands out a pre-signed URL scoped to
it (``/api/videos/init``, ``/api/videos/upload-url``). Processing starts
by itself once the bytes are in storage and valid (``finish``), whether the signed-PUT
route saw them arrive or the watcher found them; metadata never holds it up. Accepting
the source is :meth:`VideoService.accept_source`, as for every way in, and every state
change goes through ``VideoService``: this module writes no state of its own (ADR 0090).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vidhost.core.errors import Conflict, DomainError, InvalidInput
from vidhost.core.lifecycle import TaskKind, VideoState
from vidhost.core.models import EDITED, Video, utcnow
from vidhost.core.ports import MultipartUploads, PresignedRequest, PresignedUploads
from vidhost.core.videos import VideoService

log = logging.getLogger(__name__)

MAX_PARTS = 10_000
S = VideoState


MEDIA_TYPES = ("video/", "audio/")
"""Declared MIME types a direct upload may have: a video, or an audio file (ADR 0066)."""


@dataclass(frozen=True)
class DirectConfig:
    url_ttl: int
    max_upload_bytes: int
    multipart_threshold: int
    part_size: int


@dataclass(frozen=True)
class MultipartPlan:
    upload_id: str
    part_size: int
    parts: list[tuple[int, PresignedRequest]]


@dataclass(frozen=True)
class Ticket:
    """What a client needs to upload: a single PUT, or a multipart plan."""

    video: Video
    request: PresignedRequest
    """The single PUT (or, for multipart, the first part's request)."""
    multipart: MultipartPlan | None = None


@dataclass
class Metadata:
    """A video's details; a field left ``None`` keeps its stored value (``PUT`` and ``PATCH``
    alike: nothing a client did not send is wiped)."""

    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    visibility: str | None = None

    def fields(self) -> dict[str, Any]:
        """The fields given, as the record's columns."""
        given = {
            "title": self.title,
            "description": self.description,
            "tags": None if self.tags is None else list(self.tags),
            "visibility": self.visibility,
        }
        return {k: v for k, v in given.items() if v is not None}


class DirectUploads:
    def __init__(
        self,
        videos: VideoService,
        presigner: PresignedUploads,
        multipart: MultipartUploads | None,
        config: DirectConfig,
    ) -> None:
        self.videos = videos
        self.storage = videos.storage
        self.presigner = presigner
        self.multipart = multipart
        self.config = config

    # --- starting an upload -------------------------------------------------------------------

    def init(
        self,
        *,
        owner: str,
        filename: str | None = None,
        content_type: str | None = None,
        size: int | None = None,
        metadata: dict[str, Any] | None = None,
        use_multipart: bool | None = None,
        options: dict[str, Any] | None = None,
    ) -> Ticket:
        """Create the empty record and a pre-signed upload for its backend-controlled key."""
        if content_type is not None and not content_type.lower().startswith(MEDIA_TYPES):
            raise InvalidInput("Invalid file type", code="invalid_file_type")
        if size is not None and size > self.config.max_upload_bytes:
            raise InvalidInput("File too large", code="file_size_too_large")
        if size is not None and size < 0:
            raise InvalidInput("fileSize must not be negative", code="invalid_request")
        if use_multipart is None:
            use_multipart = size is not None and size > self.config.multipart_threshold
        if use_multipart and self.multipart is None:
            raise InvalidInput(
                "multipart uploads need the S3 storage backend", code="multipart_unsupported"
            )
        if use_multipart and size is None:
            raise InvalidInput("multipart uploads need fileSize", code="invalid_request")
        video = self.videos.create_pending(
            owner=owner,
            filename=filename,
            content_type=content_type,
            metadata=metadata,
            options=options,
            state=S.UPLOADING if use_multipart else S.CREATED,
        )
        assert video.source_key is not None
        ttl = self.config.url_ttl
        fields: dict[str, Any] = {
            "declared_size": size,
            "upload_expires_at": utcnow() + timedelta(seconds=ttl),
        }
        plan: MultipartPlan | None = None
        if use_multipart:
            assert self.multipart is not None and size is not None
            upload_id = self.multipart.create_multipart(video.source_key, content_type=content_type)
            part_size = max(self.config.part_size, math.ceil(size / MAX_PARTS))
            count = max(1, math.ceil(size / part_size))
            parts = [
                (n, self.multipart.presign_part(video.source_key, upload_id, n, expires_in=ttl))
                for n in range(1, count + 1)
            ]
            plan = MultipartPlan(upload_id, part_size, parts)
            request = parts[0][1]
            fields["multipart_upload_id"] = upload_id
        else:
            request = self.presigner.presign_put(
                video.source_key,
                expires_in=ttl,
                content_type=content_type,
                max_size=size if size is not None else self.config.max_upload_bytes,
            )
        fields["upload_expires_at"] = request.expires_at
        self.videos.update(video.id, **fields)
        for name, value in fields.items():
            setattr(video, name, value)
        return Ticket(video, request, plan)

    def set_metadata(
        self, video_id: str, *, owner: str, metadata: Metadata, enhance: str | None = None
    ) -> Video:
        """Store title/description/tags/visibility, before, during or after the upload; a
        field ``metadata`` leaves ``None`` keeps its value.

        ``enhance`` (a validated preset spec) joins the video's processing options; when
        processing was already planned without enhancement, the enhancement starts now.
        """
        video = self.videos.get(video_id, owner=owner)
        fields = metadata.fields()
        if enhance is not None:
            fields["options"] = {**video.options, "enhance": enhance}
        if fields:
            self.videos.update(video.id, **fields)
            self.videos.notify(video, EDITED)  # webhooks, and the owner's open libraries
        planned = {t.kind for t in self.videos.tasks(video.id)}
        if enhance is not None and planned and TaskKind.VIDEO_ENHANCEMENT not in planned:
            updated = self.videos.get(video_id)
            if TaskKind.VIDEO_ENHANCEMENT in set(self.videos.planner(updated)):
                self.videos.start_tasks(video.id, [TaskKind.VIDEO_ENHANCEMENT])
        return self.videos.get(video_id)

    def begin_upload(self, video_id: str) -> Video:
        """The signed-PUT route starts receiving bytes: ``created -> uploading``.

        The transition is the URL's single-use claim: a conditional update, so of two PUTs
        (or a PUT and the abandoned-record sweeper) exactly one wins. Any other PUT is refused
        (``upload_in_progress`` while the winner streams, ``upload_complete`` afterwards), so
        a stored source is never replaced. A PUT that fails hands the claim back
        (:meth:`release_upload`) and may be retried.
        """
        video = self.videos.get(video_id)
        if video.state is S.CREATED and self.videos.change_state(video, S.UPLOADING):
            return self.videos.get(video_id)
        video = self.videos.get(video_id)
        if video.state is S.UPLOADING:
            raise Conflict("another upload to this URL is in progress", code="upload_in_progress")
        raise Conflict("this video's upload is already complete", code="upload_complete")

    def release_upload(self, video: Video) -> None:
        """A claimed PUT ended without storing anything: ``uploading -> created`` again."""
        self.videos.change_state(video, S.CREATED)

    # --- finishing ----------------------------------------------------------------------------

    def size_cap(self, video: Video) -> int:
        cap = self.config.max_upload_bytes
        if video.declared_size is not None:
            cap = min(cap, video.declared_size)
        return cap

    def finish(self, video_id: str, *, file: Path | None = None) -> Video:
        """The source is in storage (or in ``file``, which is consumed): accept it, under the
        declared size."""
        video = self.videos.get(video_id)
        return self.videos.accept_source(
            video_id, way="direct", file=file, max_bytes=self.size_cap(video)
        )

    def refuse_oversized(self, video: Video, size: int, *, max_bytes: int) -> None:
        """The signed PUT announces ``size`` bytes: refuse it unread if over the cap."""
        self.videos.refuse_oversized(video.id, size, way="direct", max_bytes=max_bytes)

    def pending(self, now: datetime | None = None) -> list[Video]:
        """Direct uploads still waiting for their bytes (their URL may be in use), without
        their client-supplied fields (metadata, tags ...): the watcher polls this."""
        return self.videos.awaiting_direct_uploads()

    def poll(self) -> list[str]:
        """Finish every pending direct upload whose object has arrived. Returns their ids."""
        finished: list[str] = []
        for video in self.pending():
            if video.multipart_upload_id is not None or video.source_key is None:
                continue  # completes through complete_multipart
            try:
                self.storage.stat(video.source_key)
            except FileNotFoundError:
                continue
            try:
                self.finish(video.id)
                finished.append(video.id)
            except DomainError as exc:
                log.warning("direct upload %s not processed: %s (%s)", video.id, exc, exc.code)
                finished.append(video.id)
        return finished

    # --- multipart ----------------------------------------------------------------------------

    def _multipart(self, video_id: str, owner: str) -> tuple[Video, MultipartUploads, str]:
        video = self.videos.get(video_id, owner=owner)
        if self.multipart is None:
            raise InvalidInput(
                "multipart uploads need the S3 storage backend", code="multipart_unsupported"
            )
        if video.multipart_upload_id is None or video.state not in (S.CREATED, S.UPLOADING):
            raise Conflict("no multipart upload in progress", code="no_multipart_upload")
        return video, self.multipart, video.multipart_upload_id

    def sign_parts(
        self, video_id: str, *, owner: str, part_numbers: list[int]
    ) -> list[tuple[int, PresignedRequest]]:
        video, mp, upload_id = self._multipart(video_id, owner)
        assert video.source_key is not None
        for n in part_numbers:
            if not 1 <= n <= MAX_PARTS:
                raise InvalidInput(f"part number {n} is out of range 1-{MAX_PARTS}")
        ttl = self.config.url_ttl
        return [
            (n, mp.presign_part(video.source_key, upload_id, n, expires_in=ttl))
            for n in part_numbers
        ]

    def complete_multipart(
        self, video_id: str, *, owner: str, parts: list[tuple[int, str]]
    ) -> Video:
        video, mp, upload_id = self._multipart(video_id, owner)
        assert video.source_key is not None
        if not parts:
            raise InvalidInput("parts must not be empty")
        try:
            mp.complete_multipart(video.source_key, upload_id, parts)
        except FileNotFoundError:
            raise Conflict(
                "the multipart upload no longer exists", code="no_multipart_upload"
            ) from None
        self.videos.update(video.id, multipart_upload_id=None)
        return self.finish(video.id)

    def abort_multipart(self, video_id: str, *, owner: str) -> None:
        video, mp, upload_id = self._multipart(video_id, owner)
        assert video.source_key is not None
        mp.abort_multipart(video.source_key, upload_id)
        self.videos.update(video.id, multipart_upload_id=None)

    # --- deletion -----------------------------------------------------------------------------

    def delete(self, video_id: str, *, owner: str | None = None) -> None:
        """Remove the record and every object it owns, aborting any multipart upload."""
        video = self.videos.get(video_id, owner=owner)
        if video.multipart_upload_id and self.multipart is not None and video.source_key:
            self.multipart.abort_multipart(video.source_key, video.multipart_upload_id)
        self.videos.delete(video.id)

    def discard(self, video: Video, reason: str) -> bool:
        """Conditionally delete a never-uploaded record (cleanup). False if it moved on."""
        if not self.videos.discard_pending(video, reason):
            return False
        if video.multipart_upload_id and self.multipart is not None and video.source_key:
            self.multipart.abort_multipart(video.source_key, video.multipart_upload_id)
        return True
