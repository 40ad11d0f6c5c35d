"""Upload URLs kept between runs, keyed by a fingerprint of the file (as tus clients do).

tus-js-client keys its URL storage by ``name/type/size/mtime/endpoint``, tuspy by a hash of
the file's first bytes and its size. Here the key is a SHA-256 over the server, the file's
real path, size, modification time and its first and last MiB: a file edited in place, or
another file at the same path, gets a new upload instead of resuming the wrong bytes.
The store is one JSON file in the state directory, updated under an exclusive lock so two
``vidhost upload`` processes never lose each other's entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vidhost.client.config import read_json, state_dir, write_private

EDGE = 1024 * 1024


def fingerprint(path: Path, server: str) -> str:
    stat = path.stat()
    digest = hashlib.sha256()
    digest.update(f"{server}\0{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    with open(path, "rb") as fh:
        digest.update(fh.read(EDGE))
        if stat.st_size > EDGE:
            fh.seek(max(EDGE, stat.st_size - EDGE))
            digest.update(fh.read(EDGE))
    return digest.hexdigest()


class ResumeStore:
    """``{fingerprint: {"url", "videoId", "file", "size", "createdAt"}}`` in ``uploads.json``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "uploads.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_suffix(".lock")
        with open(lock_path, "a+b") as lock:
            try:
                import fcntl

                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - Windows: best effort, no lock
                pass
            data = read_json(self.path)
            before = dict(data)
            yield data
            if data != before:
                write_private(self.path, data)

    def get(self, key: str) -> dict[str, Any] | None:
        entry = read_json(self.path).get(key)
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, **entry: Any) -> None:
        with self._locked() as data:
            data[key] = {**entry, "createdAt": time.time()}

    def update(self, key: str, **fields: Any) -> None:
        with self._locked() as data:
            if isinstance(data.get(key), dict):
                data[key] = {**data[key], **fields}

    def remove(self, key: str) -> None:
        with self._locked() as data:
            data.pop(key, None)

    def entries(self) -> dict[str, Any]:
        return read_json(self.path)
