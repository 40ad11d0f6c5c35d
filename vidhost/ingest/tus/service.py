"""Upload sessions: create, write (locked, durable), concatenate, terminate, hand over.

The web layer parses headers; this module decides, with the pure rules of
``vidhost.ingest.tus.rules``. Bytes go through the upload-data port (``vidhost.ingest.tus.port``,
resolved into a ``StoreComposer``); the committed offset, and the store's state for exactly
those bytes, live in the database and move only once the bytes are durable. A complete
upload is finished into its video's source key, then the video domain's completion callback
(``VideoHooks.post_finish``) validates it and starts processing (exactly once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vidhost.core.errors import Conflict, InvalidInput, StorageFailure
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video, utcnow
from vidhost.core.upload_checksum import Checksum
from vidhost.core.upload_errors import UploadGone, UploadLocked
from vidhost.core.upload_models import Concat, Upload
from vidhost.ingest.tus import rules
from vidhost.ingest.tus.hooks import VideoHooks
from vidhost.ingest.tus.locks import UploadLocks
from vidhost.ingest.tus.port import StoreComposer, Writer
from vidhost.ingest.tus.repository import UploadRepository, upload_from_row
from vidhost.ingest.tus.writer import Lease, keep_lock, run_in_threadpool, stream

log = logging.getLogger(__name__)

__all__ = ["Lease", "UploadConfig", "UploadService"]


@dataclass(frozen=True)
class UploadConfig:
    max_size: int
    expiry_seconds: float
    chunk_size: int


class UploadService:
    """``vidhost.core.resumable.ResumableUploads`` over the upload-data store."""

    def __init__(
        self,
        repo: UploadRepository,
        store: StoreComposer,
        locks: UploadLocks,
        hooks: VideoHooks,
        config: UploadConfig,
    ) -> None:
        self.repo = repo
        self.store = store
        self.locks = locks
        self.hooks = hooks
        self.config = config

    @property
    def max_size(self) -> int:
        return self.config.max_size

    @property
    def data(self) -> Any:
        """The store itself (tests reach the file store's paths through it)."""
        return self.store.core

    def extensions(self) -> list[str]:
        return self.store.extensions()

    # --- reads --------------------------------------------------------------------------------

    def get(self, upload_id: str, owner: str, *, allow_expired: bool = False) -> Upload:
        return rules.check_access(
            self.repo.get(upload_id), owner, utcnow(), allow_expired=allow_expired
        )

    def owner_of(self, upload_id: str) -> str | None:
        """Who owns an upload, for a surface whose credential is a signed URL naming it."""
        upload = self.repo.get(upload_id)
        return None if upload is None else upload.owner

    # --- creation -----------------------------------------------------------------------------

    def check_length(self, length: int | None) -> None:
        rules.check_length(length, self.config.max_size)

    def _new(
        self, owner: str, length: int | None, concat: Concat | None, meta: dict[str, Any]
    ) -> Upload:
        now = utcnow()
        return Upload(
            id=uuid.uuid4().hex,
            owner=owner,
            created_at=now,
            expires_at=now + timedelta(seconds=self.config.expiry_seconds),
            length=length,
            concat=concat,
            metadata=dict(meta),
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
        if length is None and self.store.length_deferrer is None:
            raise InvalidInput("this server needs Upload-Length", code="invalid_header")
        if concat is not None and self.store.concater is None:
            raise InvalidInput("this server does not concatenate uploads", code="invalid_concat")
        upload = self._new(owner, length, concat, metadata)
        target = f"uploads/{upload.id}"
        if concat is not Concat.PARTIAL:
            upload.video_id, target = self.hooks.pre_create(
                owner, {**metadata, **(extra or {}), "upload_id": upload.id}
            )
        try:
            upload.store = self.store.core.create(upload, target)
            self.repo.add(upload)
        except BaseException:
            if upload.video_id is not None:
                self.hooks.post_terminate(upload.video_id)
            raise
        return upload

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
        """Upload sessions' ``/upload/init``: ``file_size`` bytes tus can write at once."""
        if file_size <= 0:
            raise InvalidInput("file_size must be > 0", code="invalid_file_size")
        limit = self.hooks.max_duration_seconds
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
                self.hooks.merge_metadata(upload.video_id, meta)
            upload.metadata = merged
        return upload

    def create_final(self, *, owner: str, part_ids: list[str], metadata: dict[str, str]) -> Upload:
        """concatenation: assemble complete partial uploads server-side into a new upload."""
        concater = self.store.concater
        if concater is None:
            raise InvalidInput("this server does not concatenate uploads", code="invalid_concat")
        if not part_ids:
            rules.check_parts(part_ids, [], self.config.max_size)
        parts = [self.get(pid, owner) for pid in part_ids]
        total = rules.check_parts(part_ids, parts, self.config.max_size)
        upload = self._new(owner, total, Concat.FINAL, metadata)
        upload.parts = [p.id for p in parts]
        upload.video_id, target = self.hooks.pre_create(owner, {**metadata, "upload_id": upload.id})
        try:
            upload.store = concater.concatenate(upload, parts, target)
            size = self.store.core.size(upload)
        except (OSError, StorageFailure) as exc:
            self._drop_data(upload)
            self.hooks.post_terminate(upload.video_id)
            if isinstance(exc, StorageFailure):
                raise
            log.exception("concatenating %s failed", upload.id)
            raise StorageFailure("could not assemble the partial uploads") from exc
        if size != total:
            self._drop_data(upload)
            self.hooks.post_terminate(upload.video_id)
            raise StorageFailure("assembled upload has the wrong size", code="upload_data_lost")
        upload.offset = total
        self.repo.add(upload)
        for part in parts:
            self.repo.delete(part.id)
            self._drop_data(part)
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

        Two thread hops per request for the file store, whatever its size (ADR 0013): one to
        check and lock the upload and open its writer, one to make the bytes durable and
        commit the offset (and release). A store that buffers parts (S3) adds one per part.
        """
        lease = Lease(self.locks.ttl)  # counted from before the lock is taken
        upload, token, writer = await run_in_threadpool(
            self._begin_write, upload_id, owner, offset, length, content_length
        )
        if writer is None:  # finished already: a retried final PATCH, answered as tusd does
            return upload
        renewer = asyncio.create_task(keep_lock(self.locks, upload_id, token, lease))
        try:
            room = rules.room(upload, offset, self.config.max_size)
            await stream(writer, body, checksum, room, lease)
        except BaseException:
            await run_in_threadpool(self._abort_write, upload_id, token, writer)
            raise
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        return await run_in_threadpool(self._finish_write, upload, token, writer)

    def _begin_write(
        self,
        upload_id: str,
        owner: str,
        offset: int,
        length: int | None,
        content_length: int | None,
    ) -> tuple[Upload, str, Writer | None]:
        """Check, lock and open: the upload as it is under the lock (with the declared length).

        No writer (and the lock released) for an upload already handed over to its video, at
        its final offset with no bytes (a client retrying the PATCH whose 204 it lost): its
        data is the video's now, and nothing is opened, created or written (issue 24)."""
        upload, token = self._lock(upload_id, owner)
        try:
            declared = rules.check_patch(
                upload, utcnow(), offset, length, content_length, self.config.max_size
            )
            if upload.complete and upload.finished_at is not None:
                self.locks.release(upload_id, token)
                return upload, token, None
            deferrer = self.store.length_deferrer
            if declared is not None and upload.length is None and deferrer is not None:
                deferrer.declare_length(upload, declared)
            upload.length = declared
            return upload, token, self.store.core.writer(upload, expected=content_length)
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

    def _abort_write(self, upload_id: str, token: str, writer: Writer) -> None:
        """Nothing of a failed request is kept: discard it, then unlock.

        Only while the lock is still ours (renewed first): once another request has taken an
        expired lock over, the bytes past our start are its bytes.
        """
        try:
            if self.locks.renew(upload_id, token):
                writer.discard()
            else:
                log.warning("upload %s: lock lost; leaving its data to the new holder", upload_id)
        finally:
            writer.close()
            self.locks.release(upload_id, token)

    def _finish_write(self, upload: Upload, token: str, writer: Writer) -> Upload:
        """Make durable, then commit the new offset (and length, and store state); unlock."""
        try:
            try:
                state = writer.sync()
            except BaseException:
                with contextlib.suppress(Exception):
                    if self.locks.renew(upload.id, token):
                        writer.discard()
                raise
            finally:
                writer.close()
            upload.offset = writer.start + writer.written
            if state is not None:
                upload.store = state
            hand_over = upload.complete and upload.concat is None
            # One UPDATE commits and unlocks, unless the video is handed over under the lock.
            committed = self.repo.commit_offset(
                upload.id,
                token,
                upload.offset,
                length=upload.length,
                store=state,
                release=not hand_over,
            )
            if not committed:
                raise UploadLocked("the upload lock was lost; nothing was committed")
            writer.committed()
        except BaseException:
            self.locks.release(upload.id, token)
            raise
        if hand_over:
            try:
                self._hand_over(upload, False)
            finally:
                self.locks.release(upload.id, token)
        return upload

    # --- completion ---------------------------------------------------------------------------

    def _hand_over(self, upload: Upload, strict: bool) -> Video | None:
        """Finish the complete data into the video source, then the completion callback.

        ``strict``: re-raise the reason a video is refused (``/complete``); otherwise the
        refusal is recorded on the video and the tus request with the last byte succeeds.
        """
        if upload.video_id is None:
            return None
        if upload.finished_at is None:
            try:
                self.store.core.finish(
                    upload, self.hooks.storage, self.hooks.source_key(upload.video_id)
                )
            except OSError as exc:
                log.exception("handing upload %s over failed", upload.id)
                raise StorageFailure("could not store the uploaded file") from exc
            self.repo.mark_finished(upload.id)
            upload.finished_at = utcnow()
        return self.hooks.post_finish(upload.video_id, strict=strict)

    def complete(self, upload_id: str, owner: str) -> tuple[Upload, Video]:
        """Upload sessions' ``/upload/complete``: the upload must hold every byte."""
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
        video = self.hooks.get(upload.video_id)
        if video.state is VideoState.FAILED:
            raise InvalidInput(
                video.error_message or "video refused", code=video.error_code or "failed"
            )
        return upload, video

    # --- termination --------------------------------------------------------------------------

    def _drop_data(self, upload: Upload) -> None:
        if self.store.terminater is not None:
            self.store.terminater.terminate(upload)

    def terminate(self, upload_id: str, owner: str) -> None:
        if self.store.terminater is None:
            raise InvalidInput("this server does not terminate uploads", code="invalid_request")
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
        self._drop_data(upload)
        if upload.video_id is not None:
            self.hooks.post_terminate(upload.video_id)

    def expired(self, now: datetime) -> list[Upload]:
        """Unfinished uploads past their expiry that no request is writing (for the sweeper)."""
        return self.repo.expired(now)

    def remove_expired(self, upload: Upload, now: datetime) -> bool:
        """Remove an expired upload: its record, unless a writer got in meanwhile (the
        DELETE checks expiry and the lock again: False, it stays), then its bytes (shared
        storage too, from the state in the shared database: any node sweeps any upload) and
        its pending video."""
        if not self.repo.delete_if_expired(upload.id, now):
            return False
        self._drop_data(upload)
        if upload.video_id is not None:
            self.hooks.post_terminate(upload.video_id)
        return True
