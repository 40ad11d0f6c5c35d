"""What a source must be to be accepted, and what acceptance keeps of it: the size cap, the
probe (once) with the video's own duration limit, the kept object's ETag (ADR 0051,
ADR 0090). ``VideoService.accept_source`` runs these; the state changes are its own."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vidhost.core.errors import Conflict, InvalidInput, StorageFailure
from vidhost.core.models import Video
from vidhost.core.ports import ObjectInfo, Prober, SourceInfo, Storage

log = logging.getLogger(__name__)


@dataclass
class Limits:
    max_upload_bytes: int
    max_duration_seconds: float | None = None
    """Longest accepted source; ``None``: no limit. The prober enforces it (with the other
    media limits) on the probed file; uploads that declare a duration are checked early."""

    def size_cap(self, max_bytes: int | None) -> int:
        """The cap a source is held to: the upload limit, or ``max_bytes`` (a size the
        client declared) when smaller."""
        return self.max_upload_bytes if max_bytes is None else min(self.max_upload_bytes, max_bytes)


MAX_DURATION_OPTION = "max_duration_seconds"
"""``Video.options`` key: the longest source this video accepts, in seconds (Cloudflare's
``maxDurationSeconds``), on top of the server-wide limit."""


def max_duration(video: Video) -> float | None:
    value = video.options.get(MAX_DURATION_OPTION)
    return float(value) if isinstance(value, int | float) and value > 0 else None


def check_duration(info: SourceInfo, limit: float | None) -> SourceInfo:
    """Refuse a probed source longer than the video's own limit (``duration_too_long``)."""
    if limit is not None and info.duration > limit:
        raise InvalidInput(
            f"the video is {info.duration:g} s long, over its maximum of {limit:g} s",
            code="duration_too_long",
        )
    return info


def source_fields(info: SourceInfo) -> dict[str, Any]:
    """The video fields a probe determines (their names match ``Video`` attributes)."""
    return asdict(info)


def probe_and_keep(
    storage: Storage,
    prober: Prober,
    key: str,
    file: Path | None,
    stored: ObjectInfo | None,
    limit: float | None,
) -> tuple[SourceInfo, str]:
    """Probe the source, then keep it: the probe's result and the kept object's ETag.

    ``file``: a local file, moved to ``key`` once its probe passed; without it the source is
    the object ``stored`` (already at ``key``), which must not change while it is checked
    (``source_changed``). ``limit``: the video's own longest duration
    (``options["max_duration_seconds"]``), checked on the probe before a file is kept."""
    if file is not None:
        info = check_duration(prober.probe(file), limit)
        try:
            kept = storage.put_file(key, file, move=True)
        except OSError as exc:
            log.exception("storing the source %s failed", key)
            raise StorageFailure("could not store the uploaded file") from exc
        return info, kept.etag
    assert stored is not None
    with storage.local_copy(key) as path:
        info = check_duration(prober.probe(path), limit)
    etag = storage.stat(key).etag
    if etag != stored.etag:
        raise Conflict("the uploaded file changed while it was checked", code="source_changed")
    return info, etag
