"""The file store of the upload-data port (``vidhost.ingest.tus.port``): one file per upload
in ``<data_dir>/uploads/`` (the embedded profile).

Appends go to the page cache from the event loop, with writeback started every 2 MiB, and one
fsync before the offset is committed (ADR 0010, ADR 0013). No store state: the file is it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from vidhost.core.errors import StorageFailure
from vidhost.core.ports import Storage
from vidhost.core.upload_errors import UploadNotFound
from vidhost.core.upload_models import Upload
from vidhost.ingest.tus.port import StoreState

_ID = re.compile(r"^[0-9a-f]{32}$")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


WRITEBACK_STEP = 2 * 1024 * 1024
"""Bytes after which an append starts the disk writeback of what it has written."""


class LocalAppend:
    def __init__(self, path: Path, offset: int) -> None:
        created = not path.exists()
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        if created:
            _fsync_dir(path.parent)
        size = os.fstat(self.fd).st_size
        if size < offset:
            os.close(self.fd)
            raise StorageFailure(
                f"upload data is shorter ({size}) than its committed offset ({offset})",
                code="upload_data_lost",
            )
        if size > offset:
            os.ftruncate(self.fd, offset)  # leftovers of an interrupted request
            os.fsync(self.fd)
        os.lseek(self.fd, offset, os.SEEK_SET)
        self.start = offset
        self.written = 0
        self._flushed = 0

    def write(self, data: bytes | bytearray) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.written += len(data)
        if self.written - self._flushed >= WRITEBACK_STEP:
            # Start writing the bytes so far to disk now (asynchronously), so the fsync that
            # commits the offset at the end of the request has little left to wait for.
            os.posix_fadvise(
                self.fd,
                self.start + self._flushed,
                self.written - self._flushed,
                os.POSIX_FADV_DONTNEED,
            )
            self._flushed = self.written

    def due(self) -> bool:
        return False  # every write is already in the page cache

    def flush(self) -> None:
        return None

    def sync(self) -> StoreState:
        os.fsync(self.fd)
        return None

    def committed(self) -> None:
        return None

    def discard(self) -> None:
        self.rollback()

    def rollback(self) -> None:
        os.ftruncate(self.fd, self.start)
        os.lseek(self.fd, self.start, os.SEEK_SET)
        os.fsync(self.fd)
        self.written = 0
        self._flushed = 0

    def close(self) -> None:
        os.close(self.fd)


class FileStore:
    """One file per upload: ``<root>/<upload_id>``. Implements every capability."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, upload_id: str) -> Path:
        if not _ID.match(upload_id):
            raise UploadNotFound("upload not found")
        return self.root / upload_id

    # --- UploadStore --------------------------------------------------------------------------

    def create(self, upload: Upload, target_key: str) -> StoreState:
        return None  # the file appears with the first byte

    def writer(self, upload: Upload, *, expected: int | None = None) -> LocalAppend:
        return self.open_append(upload.id, upload.offset)

    def open_append(self, upload_id: str, offset: int) -> LocalAppend:
        """A writer at ``offset``; bytes beyond ``offset`` (never committed) are dropped."""
        return LocalAppend(self.path(upload_id), offset)

    def size(self, upload: Upload) -> int:
        try:
            return self.path(upload.id).stat().st_size
        except FileNotFoundError:
            return 0

    def finish(self, upload: Upload, storage: Storage, key: str) -> None:
        path = self.path(upload.id)
        if not path.exists():
            if upload.length == 0:
                storage.put_bytes(key, b"")
                return
            storage.stat(key)  # already handed over by an earlier attempt (else FileNotFound)
            return
        storage.put_file(key, path, move=True)

    # --- capabilities -------------------------------------------------------------------------

    def terminate(self, upload: Upload) -> None:
        self.path(upload.id).unlink(missing_ok=True)
        self.path(upload.id).with_name(f".{upload.id}.concat").unlink(missing_ok=True)

    def concatenate(self, final: Upload, parts: list[Upload], target_key: str) -> StoreState:
        target = self.path(final.id)
        tmp = target.with_name(f".{final.id}.concat")
        try:
            with open(tmp, "wb") as out:
                for part in parts:
                    with open(self.path(part.id), "rb") as src:
                        _copy(src.fileno(), out.fileno())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except FileNotFoundError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageFailure(
                "a partial upload's data is missing", code="upload_data_lost"
            ) from exc
        _fsync_dir(self.root)
        return None

    def declare_length(self, upload: Upload, length: int) -> None:
        return None


def _copy(src: int, dst: int) -> None:
    """Kernel-side copy where possible; constant memory either way."""
    try:
        while os.copy_file_range(src, dst, 64 * 1024 * 1024):
            pass
    except OSError:
        with os.fdopen(os.dup(src), "rb") as fin, os.fdopen(os.dup(dst), "ab") as fout:
            shutil.copyfileobj(fin, fout, 1024 * 1024)
