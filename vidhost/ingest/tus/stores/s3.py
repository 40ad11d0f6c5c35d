"""The S3 store of the upload-data port, after tusd's ``s3store`` (ADR 0070).

- Each upload is one S3 multipart upload, created on the key its bytes end at: the video's
  source key (completing it *is* the hand-over, no copy), or ``uploads/<id>`` for a partial
  upload of a concatenation.
- PATCH bodies are cut into parts of ``part_size`` as they arrive (at most one part, plus
  less than the 5 MiB minimum, is buffered per request). A request's last piece that is
  under the minimum and does not end the upload becomes a *tail* object, which the next
  request reads back and puts in front of its first part.
- The store's state (multipart id, committed parts with their ETags and sizes, the tail) is
  returned by ``sync`` and committed by the service in the same UPDATE as the offset, after
  S3 has acknowledged the bytes: HEAD on any node never reports bytes S3 does not hold.
  Parts a failed request uploaded past the committed state are overwritten by the next
  request (same part numbers) or left out of CompleteMultipartUpload; tails have unique keys,
  so a failed request never damages the committed one.
- Concatenation copies complete partial uploads server-side with UploadPartCopy (falling back
  to a streamed download and re-upload when a part is under the minimum part size).
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, Protocol, TypeVar, runtime_checkable

from vidhost.core.errors import CodedError, StorageFailure
from vidhost.core.ports import MultipartUploads, Storage
from vidhost.core.upload_errors import ExceedsLength
from vidhost.core.upload_models import Upload
from vidhost.ingest.tus.port import StoreState

log = logging.getLogger(__name__)

MIN_PART = 5 * 1024 * 1024
"""S3's minimum size of every part but the last."""
MAX_COPY = 5 * 1024 * 1024 * 1024
"""S3's maximum size of one part, and of one UploadPartCopy range."""
MAX_PARTS = 10_000
"""S3's maximum number of parts of one multipart upload."""
DEFERRED_PARTS = 5_000
"""Parts a deferred-length upload may spend on request remainders (the rest stay for full
parts)."""
TAILS = "uploads/tails/"


@runtime_checkable
class S3Parts(Storage, MultipartUploads, Protocol):
    """What the store needs from the S3 adapter
    (``vidhost.adapters.storage.s3.S3Storage``): storage, multipart uploads, and parts
    stored or copied server-side."""

    def upload_part(
        self, key: str, upload_id: str, part_number: int, body: bytes | bytearray
    ) -> str: ...

    def copy_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        source_key: str,
        byte_range: tuple[int, int] | None = None,
    ) -> str: ...


P = ParamSpec("P")
R = TypeVar("R")


def s3_errors(func: Callable[P, R]) -> Callable[P, R]:
    """A failure of the S3 service becomes a coded error, logged here with its cause (the
    client sees no vendor detail): a multipart upload or object that is gone is
    ``upload_data_lost``, anything else ``storage_error``."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CodedError:
            raise
        except FileNotFoundError as exc:
            log.warning("S3 upload store: %s: %s is gone", func.__name__, exc)
            raise StorageFailure(
                "the upload's stored data is gone", code="upload_data_lost"
            ) from exc
        except Exception as exc:
            log.exception("S3 upload store: %s failed", func.__name__)
            raise StorageFailure("the upload store failed") from exc

    return wrapper


def part_size_for(part_size: int, length: int | None) -> int:
    """The part size for an upload: the configured one, larger when the declared length
    would need more than 9,000 parts (like tusd's ``calcOptimalPartSize``)."""
    if length is None:
        return part_size
    return min(max(part_size, -(-length // (MAX_PARTS - 1_000))), MAX_COPY)


def _state(upload: Upload) -> dict[str, Any]:
    if not upload.store or "key" not in upload.store:
        raise StorageFailure("the upload has no S3 state", code="upload_data_lost")
    return upload.store


def _stored(state: dict[str, Any]) -> int:
    tail = state.get("tail")
    return sum(int(p[2]) for p in state.get("parts", [])) + (int(tail[1]) if tail else 0)


class S3Writer:
    def __init__(
        self,
        s3: S3Parts,
        upload: Upload,
        state: dict[str, Any],
        part_size: int,
        expected: int | None,
    ) -> None:
        self.s3 = s3
        self.upload_id = upload.id
        self.length = upload.length
        self.key: str = state["key"]
        self.mp: str = state["mp"]
        self.parts: list[list[Any]] = [list(p) for p in state.get("parts", [])]
        self.committed_parts = len(self.parts)
        self.old_tail: list[Any] | None = state.get("tail")
        self.new_tail: str | None = None
        self.part_size = part_size_for(part_size, upload.length)
        self.expected = expected
        self.start = upload.offset
        self.written = 0
        self.buffer = bytearray()
        self.consumed_tail = False
        if _stored(state) != upload.offset:
            raise StorageFailure(
                f"stored upload data ({_stored(state)}) differs from its committed offset "
                f"({upload.offset})",
                code="upload_data_lost",
            )
        if self.old_tail:
            try:
                self.buffer += s3.get_bytes(self.old_tail[0])
            except FileNotFoundError as exc:
                raise StorageFailure(
                    "the upload's pending tail is missing", code="upload_data_lost"
                ) from exc
            self.consumed_tail = True

    def _ends_upload(self) -> bool:
        return self.length is not None and self.start + self.written >= self.length

    def write(self, data: bytes | bytearray) -> None:
        self.buffer += data
        self.written += len(data)

    def due(self) -> bool:
        if len(self.buffer) < self.part_size:
            return False
        if len(self.buffer) >= self.part_size + MIN_PART:
            return True
        if self.expected is None:
            return True
        # Keep a remainder under the minimum with this part rather than leave it as a tail.
        left = self.expected - self.written
        return left == 0 or left >= MIN_PART

    def _remainder_as_part(self) -> bool:
        """May a request's remainder (>= 5 MiB, under a part) be a part of its own? Only while
        the parts left are enough for the rest of the upload in full parts."""
        if self.length is None:
            return len(self.parts) < DEFERRED_PARTS
        rest = self.length - (self.start + self.written)
        return len(self.parts) + 1 + -(-rest // self.part_size) <= MAX_PARTS

    def _upload(self, data: bytes | bytearray) -> None:
        number = len(self.parts) + 1
        if number > MAX_PARTS:
            raise ExceedsLength(
                f"the upload needs more than {MAX_PARTS} parts; send larger PATCH bodies"
            )
        etag = self.s3.upload_part(self.key, self.mp, number, data)
        self.parts.append([number, etag, len(data)])

    @s3_errors
    def flush(self) -> None:
        """Store the buffer as the next part (it is at least the minimum part size)."""
        if self.buffer:
            self._upload(self.buffer)
            self.buffer = bytearray()

    @s3_errors
    def sync(self) -> StoreState:
        tail: list[Any] | None = None
        if self.written == 0 and not (self._ends_upload() and self.buffer):
            tail = self.old_tail  # nothing new: the committed state stays as it is
            self.consumed_tail = False
        elif self.buffer:
            if self._ends_upload() or (len(self.buffer) >= MIN_PART and self._remainder_as_part()):
                self.flush()
            else:
                self.new_tail = f"{TAILS}{self.upload_id}/{uuid.uuid4().hex}"
                self.s3.put_bytes(self.new_tail, bytes(self.buffer))
                tail = [self.new_tail, len(self.buffer)]
                self.buffer = bytearray()
        return {"key": self.key, "mp": self.mp, "parts": self.parts, "tail": tail}

    def committed(self) -> None:
        if self.consumed_tail and self.old_tail:
            try:
                self.s3.delete(self.old_tail[0])
            except Exception:  # a leftover tail is removed with the upload
                log.warning("upload %s: could not delete an old tail", self.upload_id)

    def discard(self) -> None:
        if self.new_tail is not None:
            self.s3.delete(self.new_tail)
            self.new_tail = None
        del self.parts[self.committed_parts :]  # overwritten by the next request

    def close(self) -> None:
        self.buffer = bytearray()


class S3Store:
    """Upload bytes in S3 multipart uploads; every capability (terminate, concatenate,
    defer length)."""

    def __init__(self, s3: S3Parts, *, part_size: int) -> None:
        self.s3 = s3
        self.part_size = max(part_size, MIN_PART)

    # --- UploadStore --------------------------------------------------------------------------

    @s3_errors
    def create(self, upload: Upload, target_key: str) -> StoreState:
        content_type = upload.metadata.get("filetype") or upload.metadata.get("content_type")
        mp = self.s3.create_multipart(
            target_key, content_type=content_type if isinstance(content_type, str) else None
        )
        return {"key": target_key, "mp": mp, "parts": [], "tail": None}

    @s3_errors
    def writer(self, upload: Upload, *, expected: int | None = None) -> S3Writer:
        state = _state(upload)
        if state.get("done"):
            raise StorageFailure("the upload's data is already assembled", code="storage_error")
        return S3Writer(self.s3, upload, state, self.part_size, expected)

    def size(self, upload: Upload) -> int:
        state = _state(upload)
        if state.get("done"):
            return self.s3.stat(state["key"]).size
        return _stored(state)

    @s3_errors
    def finish(self, upload: Upload, storage: Storage, key: str) -> None:
        """Complete the multipart upload; it was created on ``key``, so nothing is copied."""
        state = _state(upload)
        if state["key"] != key:
            raise StorageFailure("the upload was created for another key", code="storage_error")
        self._complete(state, upload.length or 0)

    def _complete(self, state: dict[str, Any], length: int) -> None:
        if state.get("done"):
            self.s3.stat(state["key"])
            return
        parts = [(int(n), str(etag)) for n, etag, _size in state.get("parts", [])]
        if state.get("tail"):
            raise StorageFailure("the upload ends in an unsent tail", code="upload_data_lost")
        try:
            if parts:
                self.s3.complete_multipart(state["key"], state["mp"], parts)
            else:
                self.s3.abort_multipart(state["key"], state["mp"])
                self.s3.put_bytes(state["key"], b"")
        except FileNotFoundError:
            # Completed by an earlier attempt whose commit did not happen.
            info = self.s3.stat(state["key"])
            if info.size != length:
                raise StorageFailure(
                    "the assembled upload has the wrong size", code="upload_data_lost"
                ) from None

    # --- capabilities -------------------------------------------------------------------------

    @s3_errors
    def terminate(self, upload: Upload) -> None:
        """Abort the multipart upload and remove tails (and a partial's assembled object)."""
        state = upload.store or {}
        if state.get("mp"):
            self.s3.abort_multipart(state["key"], state["mp"])
        if str(state.get("key", "")).startswith("uploads/"):
            self.s3.delete(state["key"])
        self.s3.delete_prefix(f"{TAILS}{upload.id}/")

    @s3_errors
    def concatenate(self, final: Upload, parts: list[Upload], target_key: str) -> StoreState:
        sizes: list[int] = []
        for part in parts:
            state = _state(part)
            self._complete(state, part.length or 0)
            state["done"] = True
            sizes.append(part.length or 0)
        mp = self.s3.create_multipart(target_key)
        done: list[tuple[int, str]] = []
        try:
            if all(size >= MIN_PART for size in sizes[:-1]):
                for part, size in zip(parts, sizes, strict=True):
                    if size == 0:
                        continue
                    for begin in range(0, size, MAX_COPY):
                        end = min(begin + MAX_COPY, size) - 1
                        etag = self.s3.copy_part(
                            target_key, mp, len(done) + 1, _state(part)["key"], (begin, end)
                        )
                        done.append((len(done) + 1, etag))
            else:
                done = self._copy_through(target_key, mp, parts)
            if done:
                self.s3.complete_multipart(target_key, mp, done)
            else:
                self.s3.abort_multipart(target_key, mp)
                self.s3.put_bytes(target_key, b"")
        except BaseException:
            self.s3.abort_multipart(target_key, mp)
            raise
        return {"key": target_key, "mp": None, "parts": [], "tail": None, "done": True}

    def _copy_through(self, key: str, mp: str, parts: list[Upload]) -> list[tuple[int, str]]:
        """Small partial uploads: stream them through, one part in memory at a time."""
        done: list[tuple[int, str]] = []
        buffer = bytearray()
        for part in parts:
            for chunk in self.s3.iter_range(_state(part)["key"], chunk_size=1024 * 1024):
                buffer += chunk
                if len(buffer) >= self.part_size:
                    done.append(
                        (len(done) + 1, self.s3.upload_part(key, mp, len(done) + 1, buffer))
                    )
                    buffer = bytearray()
        if buffer:
            done.append((len(done) + 1, self.s3.upload_part(key, mp, len(done) + 1, buffer)))
        return done

    def declare_length(self, upload: Upload, length: int) -> None:
        return None  # a tail left by a deferred-length upload becomes its last part
