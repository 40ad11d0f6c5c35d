"""A source the server makes itself (ADR 0094): a clip's cut (ADR 0067), a Mux URL pull
(ADR 0091). The video answers at once, pending (``created``); an ``ingest`` task on the
workers makes the file and hands it to the one way in (``VideoService.accept_source``, ADR
0090). A task, not a thread of the API process: it survives a restart (the reconciler sends
a lost one again, ADR 0073) and runs where the other media work runs, bounded by the workers.

What to make is on the video (``options["ingest"]``: ``{"way": "clip"}``, or ``{"way":
"pull", "url": ...}``); how is a ``SourceWay`` each feature registers under its ``way`` in
``Container.ingest_ways`` (the clips feature ``clip``, the Mux feature ``pull``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidhost.core.lifecycle import TaskKind, VideoState
from vidhost.core.models import Video

INGEST_OPTION = "ingest"
PENDING = (VideoState.CREATED, VideoState.UPLOADING)


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


KIND = TaskKind.INGEST
