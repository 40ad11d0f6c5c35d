"""Local filesystem implementation of the ``Storage`` port."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from vidhost.adapters.storage.keys import check_key
from vidhost.core.ports import ObjectInfo, StorageCapabilities


class LocalStorage:
    """Objects are files below ``root``; writes are atomic (temp file + rename)."""

    def capabilities(self) -> StorageCapabilities:
        """Files on this machine; no pre-signed or multipart URLs (vidhost signs its own)."""
        return StorageCapabilities(local_files=True)

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise FileNotFoundError(key)
        return path

    def _info(self, key: str, path: Path) -> ObjectInfo:
        st = path.stat()
        etag = hashlib.md5(f"{st.st_ino}-{st.st_size}-{st.st_mtime_ns}".encode()).hexdigest()
        return ObjectInfo(
            key=key,
            size=st.st_size,
            modified=datetime.fromtimestamp(st.st_mtime, UTC),
            etag=etag,
        )

    def put_file(
        self, key: str, path: Path, *, move: bool = False, content_type: str | None = None
    ) -> ObjectInfo:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            try:
                os.replace(path, target)
                return self._info(key, target)
            except OSError:
                pass  # another filesystem: copy below
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if move:
            path.unlink(missing_ok=True)
        return self._info(key, target)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self._info(key, target)

    def get_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def stat(self, key: str) -> ObjectInfo:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return self._info(key, path)

    def iter_range(
        self, key: str, start: int = 0, end: int | None = None, *, chunk_size: int = 256 * 1024
    ) -> Iterator[bytes]:
        with open(self.path(key), "rb") as fh:
            fh.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                n = chunk_size if remaining is None else min(chunk_size, remaining)
                chunk = fh.read(n)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        yield path

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        count = 0
        for info in list(self.list(prefix)):
            self.delete(info.key)
            count += 1
        base = self.root / prefix.rstrip("/") if prefix else None
        if base is not None and base.is_dir() and base.resolve().is_relative_to(self.root):
            shutil.rmtree(base, ignore_errors=True)
        return count

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        # Walk from the deepest directory the prefix names, then filter by the full prefix.
        directory = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not directory.resolve().is_relative_to(self.root) or not directory.is_dir():
            return
        for dirpath, _dirs, files in os.walk(directory):
            for name in sorted(files):
                if name.startswith(".tmp-"):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    try:
                        info = self._info(key, path)
                    except FileNotFoundError:
                        continue  # removed meanwhile (a concurrent sweep or delete)
                    yield info
