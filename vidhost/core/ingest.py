"""A source the server makes itself (ADR 0094): a clip's cut (ADR 0067), a Mux URL pull
(ADR 0091). The video answers at once, pending (``created``); an ``ingest`` task on the
workers makes the file and hands it to the one way in (``VideoService.accept_source``, ADR
0090). A task, not a thread of the API process: it survives a restart (the reconciler sends
a lost one again, ADR 0073) and runs where the other media work runs, bounded by the workers.

What to make is on the video (``options["ingest"]``: ``{"way": "clip"}``, or ``{"way":
"pull", "url": ...}``); how is a ``SourceWay`` each feature registers under its ``way`` in
``Container.ingest_ways`` (the clips feature ``clip``, the Mux feature ``pull``).

The source is the task's part 0 (``SOURCE_PART``). A file the server fetches for one of a
video's records (a Mux text track's URL, ADR 0068) is an ``ingest`` task of the part
``file_part(record id)``, made and taken in by the ``PartFiles`` the feature installs
(``Container.part_files``): it survives a restart the same way."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vidhost.core.lifecycle import TaskKind, VideoState
from vidhost.core.models import Video

INGEST_OPTION = "ingest"
PENDING = (VideoState.CREATED, VideoState.UPLOADING)
SOURCE_PART = 0
"""The ``ingest`` part that makes the video's source; the others are ``file_part``s."""


@dataclass(frozen=True)
class SourceWay:
    """One way the server makes a source: ``make(video, path)`` writes it into ``path``
    (raising a ``CodedError`` to refuse it); anything else it raises fails the video with
    ``crashed`` (code, message)."""

    make: Callable[[Video, Path], None]
    crashed: tuple[str, str]


def ingest_option(way: str, **params: Any) -> dict[str, Any]:
    """The ``options`` entry of a video whose source the ``ingest`` task makes ``way``."""
    return {INGEST_OPTION: {"way": way, **params}}


def ingest_of(video: Video) -> dict[str, Any] | None:
    value = video.options.get(INGEST_OPTION)
    return value if isinstance(value, dict) and isinstance(value.get("way"), str) else None


def file_part(record_id: str) -> int:
    """The ``ingest`` part of the file of one of a video's records (a text track): a number
    in 1..2**31-1 from its id, so each record's pull is a task row of its own."""
    return zlib.crc32(record_id.encode()) % (2**31 - 1) + 1


class PartFiles(Protocol):
    """Files the ``ingest`` task makes for a video's records (parts other than
    ``SOURCE_PART``): a Mux text track pulled from its URL."""

    crashed: tuple[str, str]
    """The code and message of a failure that is no ``CodedError``."""

    def make(self, video: Video, part: int, path: Path) -> bool:
        """Write the file of ``part`` into ``path``; False when no record waits for it
        (deleted, or done meanwhile): nothing to take. A ``CodedError`` refuses it."""
        ...

    def take(self, video: Video, part: int, path: Path) -> None:
        """Take the made file in (a ``CodedError`` refuses it)."""
        ...

    def refuse(self, video_id: str, part: int, code: str, message: str) -> None:
        """The task failed with ``code``: the record waiting for the file says so."""
        ...


KIND = TaskKind.INGEST
