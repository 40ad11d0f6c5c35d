"""A source made in the background, then taken in by the one way in (``accept_source``):
a Mux URL pull (the download) and a clip (the cut) answer at once with a pending video,
and a thread writes the file and hands it over (ADR 0090)."""

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

    def run() -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=f"{way}-")
        path = Path(name)
        try:
            with open(fd, "wb"):
                pass
            make(path)
            videos.accept_source(video_id, way=way, file=path)
        except CodedError as exc:
            _refuse(videos, video_id, exc.code, exc.message)
            log.info("%s of %s refused: %s (%s)", way, video_id, exc.message, exc.code)
        except Exception:
            log.exception("%s of %s crashed", way, video_id)
            _refuse(videos, video_id, *crashed)
        finally:
            path.unlink(missing_ok=True)

    threading.Thread(target=run, name=f"vidhost-{way}", daemon=True).start()


def _refuse(videos: VideoService, video_id: str, code: str, message: str) -> None:
    """Refuse the video unless it is no longer pending (accept_source failed it already,
    or it was deleted)."""
    video = videos.find(video_id)
    if video is not None and video.state in PENDING:
        videos.reject_source(video, code, message)
