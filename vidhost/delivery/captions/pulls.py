"""Text tracks pulled from URLs (Mux's ``POST .../tracks`` and text inputs; ADR 0068).

A ``preparing`` track answers at once; the file is downloaded through the URL guard,
capped at the caption size limit, by the same background mechanism as an asset's URL pull
(``core.background_ingest.in_background``), then checked like an upload
(``Captions.complete``): ``ready``, or ``errored`` with the code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vidhost.adapters.net.download import download
from vidhost.adapters.net.url_guard import UrlGuard
from vidhost.core.background_ingest import in_background
from vidhost.core.captions import Captions
from vidhost.core.models import Video
from vidhost.core.text_tracks import TextTrack
from vidhost.core.webvtt import MAX_CAPTION_BYTES


@dataclass(frozen=True)
class CaptionPulls:
    captions: Captions
    url_guard: UrlGuard
    tmp_dir: Path
    timeout: float

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
        """A ``preparing`` track now; its file pulled, checked and stored in the background.
        A local or private URL is refused before anything is created."""
        self.url_guard.check(url)
        record = self.captions.create_pending(
            video,
            language=language,
            name=name,
            closed_captions=closed_captions,
            passthrough=passthrough,
            url=url,
        )
        captions, video_id = self.captions, video.id
        in_background(
            lambda path: download(
                self.url_guard, url, path, max_bytes=MAX_CAPTION_BYTES, timeout=self.timeout
            ),
            lambda path: captions.complete(video_id, record.id, path.read_bytes()),
            lambda code, message: captions.fail(video_id, record.id, code, message),
            way="text-pull",
            tmp_dir=self.tmp_dir,
            crashed=("download_failed", "the text track could not be read"),
        )
        return record
