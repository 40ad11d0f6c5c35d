"""A file made in the background, then taken in: a Mux URL pull (the download) and a clip
(the cut) answer at once with a pending video, and a thread writes the file and hands it to
the one way in (``accept_source``, ADR 0090); a Mux text track's URL answers at once with a
preparing track, and the same thread kind hands its file to ``Captions.complete`` (ADR 0068).
``in_background`` is the mechanism, ``ingest_in_background`` its use for a video source."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from vidhost.core.errors import CodedError
from vidhost.core.lifecycle import VideoState
from vidhost.core.videos import VideoService

log = logging.getLogger(__name__)

PENDING = (VideoState.CREATED, VideoState.UPLOADING)


def in_background(
    make: Callable[[Path], object],
    take: Callable[[Path], object],
    refuse: Callable[[str, str], object],
    *,
    way: str,
    tmp_dir: Path,
    crashed: tuple[str, str],
) -> None:
    """Start a thread: ``make(path)`` writes a temporary file under ``tmp_dir``, then
    ``take(path)`` takes it. A ``CodedError`` from either calls ``refuse(code, message)``;
    anything else ``refuse(*crashed)``, logged with its traceback. The file is removed in
    every case."""

    def run() -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=f"{way}-")
        path = Path(name)
        try:
            with open(fd, "wb"):
                pass
            make(path)
            take(path)
        except CodedError as exc:
            refuse(exc.code, exc.message)
            log.info("%s refused: %s (%s)", way, exc.message, exc.code)
        except Exception:
            log.exception("%s crashed", way)
            refuse(*crashed)
        finally:
            path.unlink(missing_ok=True)

    threading.Thread(target=run, name=f"vidhost-{way}", daemon=True).start()


def ingest_in_background(
    videos: VideoService,
    video_id: str,
    make: Callable[[Path], None],
    *,
    way: str,
    tmp_dir: Path,
    crashed: tuple[str, str],
) -> None:
    """Start a thread: ``make(path)`` writes the source into a temporary file under
    ``tmp_dir``, then ``accept_source(way=way)`` takes it. A ``CodedError`` from either
    refuses the still-pending video with its code; anything else with ``crashed`` (code,
    message), logged with its traceback. The file is removed in every case."""

    in_background(
        make,
        lambda path: videos.accept_source(video_id, way=way, file=path),
        lambda code, message: _refuse(videos, video_id, code, message),
        way=way,
        tmp_dir=tmp_dir,
        crashed=crashed,
    )


def _refuse(videos: VideoService, video_id: str, code: str, message: str) -> None:
    """Refuse the video unless it is no longer pending (accept_source failed it already,
    or it was deleted)."""
    video = videos.find(video_id)
    if video is not None and video.state in PENDING:
        videos.reject_source(video, code, message)
