"""What the transcode's parts read: the source file (kept per worker with a remote
store) and the stored segment plan."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from vidhost.core import layout
from vidhost.core.models import Video
from vidhost.core.ports import Storage
from vidhost.core.segments import (
    SegmentPlan,
)
from vidhost.media.errors import (
    MediaError,
)
from vidhost.processing.probing import source_copy

log = logging.getLogger(__name__)


class SourceFiles:
    """The local file a part task reads: the accepted source (its ETag checked against the
    one accepted at upload, ADR 0051) or the enhanced file.

    With a remote store (``cache_sources`` > 0) a worker keeps its last few downloads in
    ``tmp_dir/sources/`` (named by key and ETag), so the chunks of one video that land on the
    same worker download the source once. ffmpeg never reads the network (the task sandbox
    has none, ADR 0051), so a pre-signed URL is not an input: see ADR 0060.
    """

    def __init__(self, storage: Storage, tmp_dir: Path, keep: int) -> None:
        self.storage = storage
        self.dir = tmp_dir / "sources"
        self.keep = keep

    @contextlib.contextmanager
    def open(self, video: Video, key: str) -> Iterator[Path]:
        if self.keep <= 0:
            with source_copy(self.storage, video, key) as path:
                yield path
            return
        etag = self.storage.stat(key).etag
        if key == video.source_key and video.source_etag and etag != video.source_etag:
            with source_copy(self.storage, video, key) as path:  # raises source_changed
                yield path
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        cached = self.dir / hashlib.sha256(f"{key}\0{etag}".encode()).hexdigest()
        if not cached.is_file():
            with source_copy(self.storage, video, key) as path:
                if self.storage.stat(key).etag == etag:
                    os.replace(path, cached)  # a private temp file of this process
                    self._evict(keep=cached)
                else:
                    yield path
                    return
        mine = self.dir / f".{cached.name}.{uuid.uuid4().hex}"  # one per use (threads too)
        try:
            os.link(cached, mine)  # eviction by another worker cannot pull it from under us
        except FileNotFoundError:  # evicted just now: read a copy of our own
            with source_copy(self.storage, video, key) as path:
                yield path
            return
        try:
            yield mine
        finally:
            mine.unlink(missing_ok=True)

    def _evict(self, *, keep: Path) -> None:
        entries = sorted(
            (p for p in self.dir.iterdir() if not p.name.startswith(".") and p != keep),
            key=lambda p: p.stat().st_mtime,
        )
        for old in entries[: max(0, len(entries) - (self.keep - 1))]:
            old.unlink(missing_ok=True)


def load_plan(storage: Storage, video_id: str) -> SegmentPlan:
    try:
        return SegmentPlan.from_json(storage.get_bytes(layout.plan_key(video_id)))
    except FileNotFoundError:
        raise MediaError("no_plan", "the video has no segment plan") from None
