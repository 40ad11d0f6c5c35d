"""Upload sessions: create, write (locked, durable), concatenate, terminate, hand over.

The web layer parses headers; this module decides. Bytes go through the ``UploadData`` port;
the committed offset lives in the database and only moves after the bytes are fsync'd.
A complete upload becomes its video's source through the storage port, then
``VideoService.complete_upload`` validates it and starts processing (exactly once).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread

from vidhost.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    StorageFailure,
    TooLarge,
)
from vidhost.domain.layout import source_key
from vidhost.domain.lifecycle import VideoState
from vidhost.domain.models import Video, utcnow
from vidhost.domain.services import VideoService
from vidhost.uploads.checksum import Checksum
from vidhost.uploads.errors import (
    ChecksumMismatch,
    ExceedsLength,
    NotWritable,
    OffsetMismatch,
    UploadGone,
    UploadLocked,
    UploadNotFound,
)
from vidhost.uploads.locks import UploadLocks
from vidhost.uploads.models import Concat, Upload
from vidhost.uploads.repository import UploadRepository, upload_from_row
from vidhost.uploads.store import AppendHandle, UploadData

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))


@dataclass
class Lease:
    """How long this request may still write: its lock's expiry as this process last set it,
    less a sixth of the TTL for clock skew between servers. Past that, another request may
    take the lock over, so writing stops."""

    ttl: float
    until: float = 0.0
    lost: bool = False

    def __post_init__(self) -> None:
        self.renewed(time.monotonic())

    def renewed(self, started: float) -> None:
        """A renewal that started at ``started`` (monotonic) succeeded."""
        self.until = started + self.ttl - self.ttl / 6

    def holds(self) -> bool:
        return not self.lost and time.monotonic() < self.until


@dataclass(frozen=True)
class UploadConfig:
    max_size: int
    expiry_seconds: float
    chunk_size: int


class UploadService:
    def __init__(
        self,
        repo: UploadRepository,
        data: UploadData,
        locks: UploadLocks,
        videos: VideoService,
        config: UploadConfig,
    ) -> None:
        self.repo = repo
        self.data = data
        self.locks = locks
        self.videos = videos
        self.config = config

    # --- reads --------------------------------------------------------------------------------

    def get(self, upload_id: str, owner: str, *, allow_expired: bool = False) -> Upload:
        upload = self.repo.get(upload_id)
        if upload is None:
            raise UploadNotFound("upload not found")
        if upload.owner != owner:
            raise Forbidden("access denied", code="access_denied")
        if not allow_expired and upload.expired(utcnow()):
            raise UploadGone("the upload has expired")
        return upload

    # --- creation -----------------------------------------------------------------------------

    def check_length(self, length: int | None) -> None:
        if length is None:
            return
        if length < 0:
            raise InvalidInput("Upload-Length must be >= 0", code="invalid_header")
        if length > self.config.max_size:
            raise ExceedsLength(
                f"Upload-Length {length} exceeds the maximum of {self.config.max_size} bytes"
            )

    def create(
        self,
        *,
        owner: str,
        length: int | None,
        metadata: dict[str, str],
        concat: Concat | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Upload:
        """A new upload; unless it is a partial one, with its pending video."""
        self.check_length(length)
        now = utcnow()
        upload = Upload(
            id=uuid.uuid4().hex,
            owner=owner,
            created_at=now,
            expires_at=now + timedelta(seconds=self.config.expiry_seconds),
            length=length,
            concat=concat,
            metadata=dict(metadata),
        )
        if concat is not Concat.PARTIAL:
            upload.video_id = self._create_video(upload, extra or {}).id
        self.repo.add(upload)
        return upload

    def _create_video(self, upload: Upload, extra: dict[str, Any]) -> Video:
        meta = upload.metadata
        return self.videos.create_pending(
            owner=upload.owner,
            filename=extra.get("filename") or meta.get("filename") or meta.get("name"),
            content_type=extra.get("content_type")
            or meta.get("filetype")
            or meta.get("content_type")
            or meta.get("type"),
            metadata={**meta, **extra, "upload_id": upload.id},
            state=VideoState.UPLOADING,
        )

    def init_session(
        self,
        *,
        owner: str,
        session_id: str,
        filename: str,
        file_size: int,
        duration_seconds: float | None,
        content_type: str | None,
    ) -> Upload:
        """Seed 003 ``/upload/init``: an upload of ``file_size`` bytes tus can write at once."""
        if file_size <= 0:
            raise InvalidInput("file_size must be > 0", code="invalid_file_size")
        limit = self.videos.limits.max_duration_seconds
        if duration_seconds is not None and limit is not None and duration_seconds > limit:
            raise InvalidInput(
                f"duration_seconds {duration_seconds:g} exceeds the {limit:g} s limit",
                code="duration_too_long",
            )
        extra: dict[str, Any] = {
            "session_id": session_id,
            "filename": filename,
            "content_type": content_type,
            "duration_seconds": duration_seconds,
        }
        return self.create(owner=owner, length=file_size, metadata={}, extra=extra)

    def adopt(self, upload_id: str, owner: str, length: int | None, meta: dict[str, str]) -> Upload:
        """tus creation on an upload initialised by ``/upload/init`` (POST on its own URL)."""
        upload = self.get(upload_id, owner)
        if upload.concat is not None or upload.finished_at is not None:
            raise Conflict("this upload can no longer be created", code="upload_exists")
        if length is not None and upload.length is not None and length != upload.length:
            raise InvalidInput(
                f"Upload-Length {length} differs from the initialised file_size {upload.length}",
                code="upload_length_mismatch",
            )
        if meta:
            merged = {**meta, **upload.metadata}
            self.repo.update(upload_id, meta=merged)
            if upload.video_id is not None:
                video = self.videos.get(upload.video_id)
                self.videos.repo.update_video(upload.video_id, metadata={**meta, **video.metadata})
            upload.metadata = merged
        return upload

    def create_final(self, *, owner: str, part_ids: list[str], metadata: dict[str, str]) -> Upload:
        """concatenation: assemble complete partial uploads server-side into a new upload."""
        if not part_ids:
            raise InvalidInput(
                "Upload-Concat final names no partial uploads", code="invalid_concat"
            )
        parts = [self.get(pid, owner) for pid in part_ids]
        for part in parts:
            if part.concat is not Concat.PARTIAL:
                raise InvalidInput(f"upload {part.id} is not partial", code="invalid_concat")
            if not part.complete:
                raise InvalidInput(
                    f"partial upload {part.id} is incomplete", code="partial_incomplete"
                )
        total = sum(p.length or 0 for p in parts)
        self.check_length(total)
        upload = Upload(
            id=uuid.uuid4().hex,
            owner=owner,
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(seconds=self.config.expiry_seconds),
            length=total,
            concat=Concat.FINAL,
            parts=[p.id for p in parts],
            metadata=dict(metadata),
        )
        try:
            size = self.data.concatenate(upload.id, upload.parts)
        except OSError as exc:
            self.data.delete(upload.id)
            raise StorageFailure("could not assemble the partial uploads") from exc
        if size != total:
            self.data.delete(upload.id)
            raise StorageFailure("assembled upload has the wrong size", code="upload_data_lost")
        upload.offset = total
        upload.video_id = self._create_video(upload, {}).id
        self.repo.add(upload)
        for part in parts:
            self.repo.delete(part.id)
            self.data.delete(part.id)
        self._hand_over(upload, False)
        return upload

    # --- writing ------------------------------------------------------------------------------

    async def write(
        self,
        upload_id: str,
        owner: str,
        *,
        offset: int,
        body: AsyncIterator[bytes],
        checksum: Checksum | None = None,
        length: int | None = None,
        content_length: int | None = None,
    ) -> Upload:
        """Append ``body`` at ``offset`` under the upload's lock; return the committed upload.

        Two thread hops per request whatever its size: one to check and lock the upload and
        open its data, one to make the bytes durable and commit the offset (and release).
        """
        lease = Lease(self.locks.ttl)  # counted from before the lock is taken
        upload, token, handle = await run_in_threadpool(
            self._begin_write, upload_id, owner, offset, length, content_length
        )
        renewer = asyncio.create_task(self._keep_lock(upload_id, token, lease))
        try:
            room = (upload.length if upload.length is not None else self.config.max_size) - offset
            await self._stream(handle, body, checksum, room, lease)
        except BaseException:
            await run_in_threadpool(self._abort_write, upload_id, token, handle)
            raise
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        return await run_in_threadpool(self._finish_write, upload, token, handle)

    def _begin_write(
        self,
        upload_id: str,
        owner: str,
        offset: int,
        length: int | None,
        content_length: int | None,
    ) -> tuple[Upload, str, AppendHandle]:
        """Check, lock and open: the upload as it is under the lock (with the declared length)."""
        upload, token = self._lock(upload_id, owner)
        try:
            if upload.expired(utcnow()):
                raise UploadGone("the upload has expired")
            if upload.concat is Concat.FINAL:
                raise NotWritable("a final concatenated upload cannot be patched")
            if offset != upload.offset:
                raise OffsetMismatch(
                    f"Upload-Offset {offset} does not match the upload's offset {upload.offset}"
                )
            upload.length = self._declared_length(upload, length)
            limit = upload.length if upload.length is not None else self.config.max_size
            if content_length is not None and offset + content_length > limit:
                raise ExceedsLength(f"the request would pass the upload length of {limit} bytes")
            return upload, token, self.data.open_append(upload_id, offset)
        except BaseException:
            self.locks.release(upload_id, token)
            raise

    def _lock(self, upload_id: str, owner: str) -> tuple[Upload, str]:
        """The upload, read under its lock, and the lock's token (one statement when free)."""
        fast = self.locks.acquire_own(upload_id, owner)
        if fast is not None:
            return upload_from_row(fast[1]), fast[0]
        self.get(upload_id, owner)  # unknown / someone else's / expired: the right error
        token = self.locks.acquire(upload_id)
        if token is None:
            raise UploadLocked("another request is writing this upload")
        try:
            return self.get(upload_id, owner), token
        except BaseException:
            self.locks.release(upload_id, token)
            raise

    def _abort_write(self, upload_id: str, token: str, handle: AppendHandle) -> None:
        """Nothing of a failed request is kept: truncate back, then unlock.

        Only while the lock is still ours (renewed first): once another request has taken an
        expired lock over, the bytes past our start are its bytes.
        """
        try:
            if self.locks.renew(upload_id, token):
                handle.rollback()
            else:
                log.warning("upload %s: lock lost; leaving its data to the new holder", upload_id)
        finally:
            handle.close()
            self.locks.release(upload_id, token)

    def _finish_write(self, upload: Upload, token: str, handle: AppendHandle) -> Upload:
        """fsync, then commit the new offset (and a now-known length) and unlock."""
        try:
            try:
                handle.sync()
            finally:
                handle.close()
            upload.offset = handle.start + handle.written
            hand_over = upload.complete and upload.concat is None
            # One UPDATE commits and unlocks, unless the video is handed over under the lock.
            committed = self.repo.commit_offset(
                upload.id, token, upload.offset, length=upload.length, release=not hand_over
            )
            if not committed:
                raise UploadLocked("the upload lock was lost; nothing was committed")
        except BaseException:
            self.locks.release(upload.id, token)
            raise
        if hand_over:
            try:
                self._hand_over(upload, False)
            finally:
                self.locks.release(upload.id, token)
        return upload

    def _declared_length(self, upload: Upload, length: int | None) -> int | None:
        if length is None:
            return upload.length
        if upload.length is not None and length != upload.length:
            raise InvalidInput(
                f"Upload-Length {length} differs from the upload's length {upload.length}",
                code="upload_length_mismatch",
            )
        if length < upload.offset:
            raise InvalidInput("Upload-Length is below the current offset", code="invalid_header")
        self.check_length(length)
        return length

    async def _stream(
        self,
        handle: AppendHandle,
        body: AsyncIterator[bytes],
        checksum: Checksum | None,
        room: int,
        lease: Lease,
    ) -> None:
        hasher = checksum.hasher() if checksum else None
        async for chunk in body:
            if not lease.holds():
                raise UploadLocked("the upload lock was lost or could not be renewed in time")
            if handle.written + len(chunk) > room:
                raise ExceedsLength("the request passes the upload length")
            # Chunks are small (the server's read size): writing them to the page cache
            # here costs less than a thread hop; durability comes from sync() afterwards.
            if hasher is not None:
                hasher.update(chunk)
            handle.write(chunk)
        if checksum is not None and hasher is not None and not checksum.matches(hasher):
            raise ChecksumMismatch(f"the body does not match its {checksum.algorithm} checksum")

    async def _keep_lock(self, upload_id: str, token: str, lease: Lease) -> None:
        """Renew every third of the TTL; the lease moves on only when a renewal succeeds."""
        while True:
            await asyncio.sleep(self.locks.ttl / 3)
            started = time.monotonic()
            if not await run_in_threadpool(self.locks.renew, upload_id, token):
                lease.lost = True
                return
            lease.renewed(started)

    # --- completion ---------------------------------------------------------------------------

    def _hand_over(self, upload: Upload, strict: bool) -> Video | None:
        """Move the complete data to the video source and complete the video (idempotent).

        ``strict``: re-raise the reason a video is refused (``/complete``); otherwise the
        refusal is recorded on the video (state ``failed`` with its code) and the tus request
        that carried the last byte still succeeds.
        """
        if upload.video_id is None:
            return None
        if upload.finished_at is None:
            try:
                self.data.publish(upload.id, self.videos.storage, source_key(upload.video_id))
            except OSError as exc:
                log.exception("handing upload %s over failed", upload.id)
                raise StorageFailure("could not store the uploaded file") from exc
            self.repo.mark_finished(upload.id)
            upload.finished_at = utcnow()
        try:
            return self.videos.complete_upload(upload.video_id)
        except TooLarge as exc:
            video = self.videos.get(upload.video_id)
            self.videos.change_state(
                video, VideoState.FAILED, error_code=exc.code, error_message=exc.message
            )
            if strict:
                raise
        except InvalidInput:
            if strict:
                raise
        return self.videos.get(upload.video_id)

    def complete(self, upload_id: str, owner: str) -> tuple[Upload, Video]:
        """Seed 003 ``/upload/complete``: the upload must hold every byte."""
        upload = self.get(upload_id, owner, allow_expired=True)
        if upload.finished_at is None and upload.expired(utcnow()):
            raise UploadGone("the upload has expired")
        if upload.concat is Concat.PARTIAL or upload.video_id is None:
            raise InvalidInput("a partial upload does not become a video", code="invalid_concat")
        if not upload.complete:
            raise Conflict(
                f"the upload has {upload.offset} of {upload.length} bytes",
                code="upload_incomplete",
            )
        token = self.locks.acquire(upload_id)
        if token is None:
            raise UploadLocked("another request is writing this upload")
        try:
            self._hand_over(upload, True)
        finally:
            self.locks.release(upload_id, token)
        video = self.videos.get(upload.video_id)
        if video.state is VideoState.FAILED:
            raise InvalidInput(
                video.error_message or "video refused", code=video.error_code or "failed"
            )
        return upload, video

    # --- termination --------------------------------------------------------------------------

    def terminate(self, upload_id: str, owner: str) -> None:
        upload = self.get(upload_id, owner, allow_expired=True)
        if upload.finished_at is not None:
            raise Conflict(
                "the upload is complete and became a video; delete the video instead",
                code="upload_finished",
            )
        token = self.locks.acquire(upload_id)
        if token is None:
            raise UploadLocked("another request is writing this upload")
        self.repo.delete(upload_id)
        self.data.delete(upload_id)
        if upload.video_id is not None:
            with contextlib.suppress(Conflict, NotFound):
                self.videos.delete(upload.video_id)
