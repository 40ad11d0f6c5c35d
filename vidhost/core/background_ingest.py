"""A file made in the background, then taken in: a Mux text track's URL answers at once with
a preparing track, and a thread downloads the file and hands it to ``Captions.complete``
(ADR 0068). A video's source made by the server (a clip's cut, a Mux URL pull) is an
``ingest`` worker task instead (ADR 0094), which survives a restart; a text track's pull
moving onto it is left to do (a restart leaves such a track ``preparing``)."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from vidhost.core.errors import CodedError

log = logging.getLogger(__name__)


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
