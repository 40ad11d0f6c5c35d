"""Text tracks pulled from URLs (Mux's ``POST .../tracks`` and text inputs; ADR 0068).

A ``preparing`` track answers at once; its file is pulled by the ``ingest`` worker task of
the part ``file_part(track id)`` (ADR 0094: it survives a restart, a re-run pulls again),
through the URL guard, capped at the caption size limit, then checked like an upload
(``Captions.complete``): ``ready``, or ``errored`` with the code. This is the ``PartFiles``
of ``core.ingest`` the captions feature installs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from vidhost.core.captions import Captions
from vidhost.core.ingest import KIND, file_part
from vidhost.core.models import Video
from vidhost.core.ports import UrlFetcher
from vidhost.core.text_tracks import PREPARING, TextTrack
from vidhost.core.webvtt import MAX_CAPTION_BYTES


@dataclass(frozen=True)
class CaptionPulls:
    captions: Captions
    fetcher: UrlFetcher
    tmp_dir: Path
    timeout: float
    crashed: ClassVar[tuple[str, str]] = ("download_failed", "the text track could not be read")

    def add(
        self,
        video: Video,
        url: str,
        *,
        language: str,
        name: str | None = None,
        closed_captions: bool = False,
        passthrough: str | None = None,
    ) -> TextTrack:
        """A ``preparing`` track now; its file pulled, checked and stored by a worker.
        A local or private URL is refused before anything is created."""
        self.fetcher.check(url)
        record = self.captions.create_pending(
            video,
            language=language,
            name=name,
            closed_captions=closed_captions,
            passthrough=passthrough,
            url=url,
        )
        self.captions.videos.start_parts(video.id, [(KIND, file_part(record.id))])
        return record

    def waiting(self, video_id: str, part: int) -> TextTrack | None:
        """The preparing track with a URL whose pull is ``part`` (None: deleted or done)."""
        for track in self.captions.of_video(video_id):
            if track.url and track.status == PREPARING and file_part(track.id) == part:
                return track
        return None

    # --- core.ingest.PartFiles: the ``ingest`` task's side ------------------------------

    def make(self, video: Video, part: int, path: Path) -> bool:
        track = self.waiting(video.id, part)
        if track is None or track.url is None:
            return False
        self.fetcher.fetch(track.url, path, max_bytes=MAX_CAPTION_BYTES, timeout=self.timeout)
        return True

    def take(self, video: Video, part: int, path: Path) -> None:
        track = self.waiting(video.id, part)
        if track is not None:  # a bad file fails the track with its code, and raises it
            self.captions.complete(video.id, track.id, path.read_bytes())

    def refuse(self, video_id: str, part: int, code: str, message: str) -> None:
        track = self.waiting(video_id, part)
        if track is not None:
            self.captions.fail(video_id, track.id, code, message)
