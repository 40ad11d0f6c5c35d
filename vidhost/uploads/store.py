"""Where upload bytes live until the upload is complete: the upload-data port and a local
implementation in ``<data_dir>/uploads/``.

The protocol code only ever asks a store to append bytes at an offset durably, report a size,
concatenate uploads, delete one, and hand a complete one over to the storage port.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Protocol

from vidhost.domain.errors import StorageFailure
from vidhost.domain.ports import Storage
from vidhost.uploads.errors import UploadNotFound

_ID = re.compile(r"^[0-9a-f]{32}$")


class AppendHandle(Protocol):
    start: int
    written: int

    def write(self, data: bytes | bytearray) -> None: ...

    def sync(self) -> None:
        """Make everything written so far durable (survives a kill or power loss)."""
        ...

    def rollback(self) -> None:
        """Forget everything written through this handle (durably)."""
        ...

    def close(self) -> None: ...


class UploadData(Protocol):
    def open_append(self, upload_id: str, offset: int) -> AppendHandle:
        """A writer at ``offset``; bytes beyond ``offset`` (never committed) are dropped."""
        ...

    def size(self, upload_id: str) -> int: ...

    def concatenate(self, upload_id: str, parts: list[str]) -> int:
        """Assemble ``parts`` (in order) into ``upload_id``; return its size."""
        ...

    def publish(self, upload_id: str, storage: Storage, key: str) -> None:
        """Move the complete data into ``storage`` under ``key`` (a rename when local)."""
        ...

    def delete(self, upload_id: str) -> None: ...


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

    def sync(self) -> None:
        os.fsync(self.fd)

    def rollback(self) -> None:
        os.ftruncate(self.fd, self.start)
        os.lseek(self.fd, self.start, os.SEEK_SET)
        os.fsync(self.fd)
        self.written = 0
        self._flushed = 0

    def close(self) -> None:
        os.close(self.fd)


class LocalUploadData:
    """One file per upload: ``<root>/<upload_id>``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, upload_id: str) -> Path:
        if not _ID.match(upload_id):
            raise UploadNotFound("upload not found")
        return self.root / upload_id

    def open_append(self, upload_id: str, offset: int) -> LocalAppend:
        return LocalAppend(self.path(upload_id), offset)

    def size(self, upload_id: str) -> int:
        try:
            return self.path(upload_id).stat().st_size
        except FileNotFoundError:
            return 0

    def concatenate(self, upload_id: str, parts: list[str]) -> int:
        target = self.path(upload_id)
        tmp = target.with_name(f".{upload_id}.concat")
        with open(tmp, "wb") as out:
            for part in parts:
                with open(self.path(part), "rb") as src:
                    _copy(src.fileno(), out.fileno())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        _fsync_dir(self.root)
        return target.stat().st_size

    def publish(self, upload_id: str, storage: Storage, key: str) -> None:
        path = self.path(upload_id)
        if not path.exists():
            storage.stat(key)  # already handed over by an earlier attempt (else FileNotFound)
            return
        storage.put_file(key, path, move=True)

    def delete(self, upload_id: str) -> None:
        self.path(upload_id).unlink(missing_ok=True)
        self.path(upload_id).with_name(f".{upload_id}.concat").unlink(missing_ok=True)


def _copy(src: int, dst: int) -> None:
    """Kernel-side copy where possible; constant memory either way."""
    try:
        while os.copy_file_range(src, dst, 64 * 1024 * 1024):
            pass
    except OSError:
        with os.fdopen(os.dup(src), "rb") as fin, os.fdopen(os.dup(dst), "ab") as fout:
            shutil.copyfileobj(fin, fout, 1024 * 1024)
