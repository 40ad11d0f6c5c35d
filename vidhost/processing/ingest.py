"""The ``ingest`` task (ADR 0094): make a pending video's source the way its options say
(``vidhost.core.ingest``: a clip's cut, a Mux URL pull), then take it in through
``VideoService.accept_source``, which probes, keeps and dispatches the ladder.

A re-run (a worker died mid-cut, the server restarted) starts the making over: nothing is
kept of a half-made file. Once the source is accepted the video is no longer pending and a
late copy of the message does nothing.

A part other than ``SOURCE_PART`` makes the file of one of the video's records (a Mux text
track's URL pull, ADR 0068) through ``PartFiles``: made in a temporary directory, taken in,
refused with its code; a re-run makes it over."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path

from vidhost.core.errors import CodedError
from vidhost.core.ingest import PENDING, SOURCE_PART, PartFiles, SourceWay, ingest_of
from vidhost.core.videos import VideoService
from vidhost.processing.runner import ClaimLost, TaskContext, TaskFailed

log = logging.getLogger(__name__)


class IngestTask:
    def __init__(
        self,
        videos: VideoService,
        ways: Mapping[str, SourceWay],
        tmp_dir: Path,
        files: PartFiles | None = None,
    ) -> None:
        self.videos = videos
        self.ways = ways
        """Filled by the features as they install (clips, Mux): read at run time."""
        self.tmp_dir = tmp_dir
        self.files = files
        """The records' files (the captions feature's text-track pulls), if installed."""

    def __call__(self, ctx: TaskContext) -> None:
        if ctx.part != SOURCE_PART:
            self._part_file(ctx)
            return
        video = ctx.video
        if video.state not in PENDING:
            return  # taken in already (a copy of the message), or refused
        spec = ingest_of(video)
        way = self.ways.get(spec["way"]) if spec else None
        if spec is None or way is None:
            raise TaskFailed("no_source", "this server cannot make the video's source")
        name = spec["way"]
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.tmp_dir, prefix=f"{name}-") as tmp:
            path = Path(tmp) / "source"
            try:
                way.make(video, path)
            except (CodedError, ClaimLost):
                raise
            except Exception as exc:
                log.exception("%s of %s crashed", name, video.id)
                raise TaskFailed(*way.crashed) from exc
            ctx.check_claim()
            self.videos.accept_source(video.id, way=name, file=path)

    def _part_file(self, ctx: TaskContext) -> None:
        files = self.files
        if files is None:
            raise TaskFailed("no_source", "this server cannot make the file")
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.tmp_dir, prefix="file-") as tmp:
            path = Path(tmp) / "file"
            try:
                if not files.make(ctx.video, ctx.part, path):
                    return  # nothing waits for it any more
            except (CodedError, ClaimLost):
                raise
            except Exception as exc:
                log.exception("file %s of %s crashed", ctx.part, ctx.video.id)
                raise TaskFailed(*files.crashed) from exc
            ctx.check_claim()
            files.take(ctx.video, ctx.part, path)

    def failed(self, ctx: TaskContext, code: str, message: str) -> None:
        """The runner's failure hook: the still-pending video is refused with the code
        (``accept_source`` refused it already when the source itself was refused); a
        record's file: the record says so."""
        if ctx.part != SOURCE_PART:
            if self.files is not None:
                self.files.refuse(ctx.video.id, ctx.part, code, message)
            return
        video = self.videos.find(ctx.video.id)
        if video is not None and video.state in PENDING:
            self.videos.reject_source(video, code, message)
        log.info("ingest of %s refused: %s (%s)", ctx.video.id, message, code)
