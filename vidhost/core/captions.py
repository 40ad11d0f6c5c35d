"""Captions: a video's text tracks added, finished, read and removed (issue 22, ADR 0068).

The one service behind every surface's text tracks (vidhost's ``/captions``, Mux's
``tracks``, Cloudflare's ``captions``) and the generated ones:

- ``add_uploaded``: a caption file checked and sanitized (``core.webvtt``) before anything
  is stored; a bad file stores nothing. The track is ``ready`` at once.
- ``create_pending`` then ``complete`` or ``fail``: a track whose text comes later (a Mux
  ``url`` pulled in the background, a speech-recognition task). ``add_generated`` is both
  in one call, for a recognizer that has its text.
- ``publish``: the stored master playlist and DASH manifest name the video's ready tracks
  (one ``SUBTITLES`` group every variant references; a text adaptation set each). They are
  rewritten when a track becomes ready or is removed, and after each stored ladder part
  (``refresh``: a track added before the video had a plan), so a master request reads one
  stored object, as before, and its ETag changes with its tracks.
- ``media``: a ``subs-{track}_{nnnnn}.vtt`` HLS segment (the cues of one video segment,
  with ``X-TIMESTAMP-MAP``), or the whole ``subs-{track}.vtt``.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from vidhost.core import layout
from vidhost.core.bitrates import Rates
from vidhost.core.dash import dash_manifest
from vidhost.core.errors import CodedError, Conflict, InvalidInput, NotFound
from vidhost.core.models import Video, present
from vidhost.core.ports import ObjectInfo, Storage
from vidhost.core.segments import (
    SegmentPlan,
    SubtitleRendition,
    master_playlist,
    measured_rates,
    segment_bounds,
    text_mpegts,
    text_playlist,
)
from vidhost.core.text_tracks import (
    ERRORED,
    GENERATED,
    PREPARING,
    READY,
    UPLOADED,
    TextTrack,
    TextTrackStore,
    language_tag,
    new_id,
    track_name,
    track_not_found,
)
from vidhost.core.videos import VideoService
from vidhost.core.webvtt import Captions as CaptionDocument
from vidhost.core.webvtt import parse_captions, segment_vtt

log = logging.getLogger(__name__)

PlanOf = Callable[[str], SegmentPlan | None]
HLS_TYPE = "application/vnd.apple.mpegurl"
VTT_TYPE = "text/vtt"


def subtitle_renditions(tracks: list[TextTrack]) -> list[SubtitleRendition]:
    return [
        SubtitleRendition(t.id, t.language, t.name, t.closed_captions) for t in tracks if t.ready
    ]


class Captions:
    def __init__(
        self, videos: VideoService, store: TextTrackStore, storage: Storage, plans: PlanOf
    ) -> None:
        self.videos = videos
        self.store = store
        self.storage = storage
        self.plans = plans
        self._parsed: OrderedDict[tuple[str, str], CaptionDocument] = OrderedDict()
        self._lock = threading.Lock()

    # --- reads --------------------------------------------------------------------------

    def of_video(self, video_id: str) -> list[TextTrack]:
        return self.store.of_video(video_id)

    def get(self, video_id: str, track_id: str) -> TextTrack:
        track = self.store.get(video_id, track_id)
        if track is None:
            raise track_not_found()
        return track

    def by_language(self, video_id: str, language: str) -> TextTrack | None:
        """The video's newest track in ``language`` (Cloudflare's one track per language)."""
        tag = language_tag(language)
        found = [t for t in self.store.of_video(video_id) if t.language == tag]
        return found[-1] if found else None

    def vtt_file(self, video_id: str, track_id: str) -> ObjectInfo:
        """The stored WebVTT of a ready track (404 unknown, 409 ``not_ready`` otherwise)."""
        track = self.get(video_id, track_id)
        if track.status != READY:
            raise Conflict(f"the track is {track.status}", code="not_ready")
        try:
            return self.storage.stat(layout.text_key(video_id, track_id))
        except FileNotFoundError:
            raise track_not_found() from None

    def vtt_text(self, video_id: str, track_id: str) -> str:
        info = self.vtt_file(video_id, track_id)
        return self.storage.get_bytes(info.key).decode()

    # --- writes -------------------------------------------------------------------------

    def add_uploaded(
        self,
        video: Video,
        data: bytes,
        *,
        language: str,
        name: str | None = None,
        closed_captions: bool = False,
        passthrough: str | None = None,
    ) -> TextTrack:
        """A user's caption file (WebVTT, or SRT converted): checked before anything is
        stored (400 ``invalid_caption``/``unsupported_caption_format``, 413
        ``caption_too_large``), then a ready track."""
        tag = language_tag(language)
        document = parse_captions(data)
        track = self._new(video, tag, name, closed_captions, UPLOADED, passthrough)
        self._store_text(track, document)
        track.status = READY
        self.store.add(track, owner=video.owner)
        self.publish(video.id)
        return track

    def create_pending(
        self,
        video: Video,
        *,
        language: str,
        name: str | None = None,
        closed_captions: bool = False,
        generated: bool = False,
        passthrough: str | None = None,
        url: str | None = None,
    ) -> TextTrack:
        """A ``preparing`` track whose text comes later (``complete``/``fail``)."""
        tag = language_tag(language)
        source = GENERATED if generated else UPLOADED
        track = self._new(video, tag, name, closed_captions, source, passthrough)
        track.url = url
        return self.store.add(track, owner=video.owner)

    def complete(
        self,
        video_id: str,
        track_id: str,
        data: bytes | str,
        *,
        detected_language: str | None = None,
        language: str | None = None,
    ) -> TextTrack:
        """A preparing track's text is in: checked like an upload; a bad file fails the
        track with its code (and the error is raised). Returns the ready track.
        ``language``: the track's language known only now (a generation asked for ``auto``:
        the detected one), its default name with it."""
        video = self.videos.get(video_id)
        track = self.get(video_id, track_id)
        if track.status != PREPARING:
            raise Conflict(f"the track is {track.status}, not preparing", code="conflict")
        raw = data.encode() if isinstance(data, str) else data
        try:
            document = parse_captions(raw)
        except CodedError as exc:
            self.fail(video_id, track_id, exc.code, exc.message)
            raise
        size = self._store_text(track, document)
        detected = language_tag(detected_language) if detected_language else None
        renamed: dict[str, object] = {}
        if language is not None:
            tag = language_tag(language)
            renamed["language"] = tag
            if track.name == track.language:  # the default name: the language tag
                renamed["name"] = tag
        finished = self.store.finish(
            track,
            owner=video.owner,
            status=READY,
            size_bytes=size,
            cues=len(document.cues),
            detected_language=detected if detected != track.language else None,
            **renamed,
        )
        if finished is None:  # deleted meanwhile: its text goes too
            self.storage.delete(layout.text_key(video_id, track_id))
            raise track_not_found()
        self.publish(video_id)
        return finished

    def fail(self, video_id: str, track_id: str, code: str, message: str) -> TextTrack | None:
        """A preparing track -> ``errored`` with ``code`` (None if it is not preparing)."""
        video = self.videos.find(video_id)
        track = self.store.get(video_id, track_id)
        if track is None or not present(video):
            return None
        return self.store.finish(
            track, owner=video.owner, status=ERRORED, error_code=code, error=message[:500]
        )

    def add_generated(
        self,
        video_id: str,
        language: str,
        vtt_text: str,
        detected_language: str | None = None,
        *,
        name: str | None = None,
    ) -> TextTrack:
        """A recognizer's WebVTT as a ready ``generated`` track in one call."""
        video = self.videos.get(video_id)
        track = self.create_pending(video, language=language, name=name, generated=True)
        return self.complete(video_id, track.id, vtt_text, detected_language=detected_language)

    def delete(self, video: Video, track_id: str) -> TextTrack:
        removed = self.store.delete(video.id, track_id, owner=video.owner)
        if removed is None:
            raise track_not_found()
        self.publish(video.id)
        self.storage.delete(layout.playlist_key(video.id, layout.text_rendition(track_id)))
        self.storage.delete(layout.text_key(video.id, track_id))
        return removed

    def _new(
        self,
        video: Video,
        language: str,
        name: str | None,
        closed_captions: bool,
        source: str,
        passthrough: str | None,
    ) -> TextTrack:
        if not present(video):
            raise InvalidInput("the video is deleted", code="invalid_request")
        return TextTrack(
            id=new_id(),
            video_id=video.id,
            language=language,
            name=track_name(name, language),
            closed_captions=bool(closed_captions),
            generated=source == GENERATED,
            source=source,
            passthrough=passthrough,
        )

    def _store_text(self, track: TextTrack, document: CaptionDocument) -> int:
        body = document.to_vtt().encode()
        self.storage.put_bytes(
            layout.text_key(track.video_id, track.id), body, content_type=VTT_TYPE
        )
        track.size_bytes, track.cues = len(body), len(document.cues)
        return len(body)

    # --- playlists ----------------------------------------------------------------------

    def publish(self, video_id: str) -> bool:
        """Write the master playlist and the MPD with the video's ready tracks (and each
        ready track's WebVTT playlist) when they differ from the stored ones; True when it
        wrote. Nothing before the video has a plan (the transcode writes them then, and
        ``refresh`` after its parts). Re-reads the tracks after writing, so two publishes
        racing end with the newer list."""
        plan = self.plans(video_id)
        if plan is None:
            return False
        wrote = False
        for _ in range(3):
            tracks = subtitle_renditions(self.store.of_video(video_id))
            wrote |= self._write(video_id, plan, tracks)
            if subtitle_renditions(self.store.of_video(video_id)) == tracks:
                break
        return wrote

    def refresh(self, video_id: str) -> bool:
        """After a stored ladder part: publish if the video has tracks (one query for the
        videos that have none)."""
        if not self.store.of_video(video_id):
            return False
        return self.publish(video_id)

    def _write(self, video_id: str, plan: SegmentPlan, tracks: list[SubtitleRendition]) -> bool:
        for track in tracks:
            key = layout.playlist_key(video_id, layout.text_rendition(track.track_id))
            self._put_if_changed(key, text_playlist(plan, track.track_id), HLS_TYPE)
        measured = self._measured(video_id, plan)
        wrote = self._put_if_changed(
            layout.master_key(video_id), master_playlist(plan, measured, tracks), HLS_TYPE
        )
        if plan.cmaf:
            wrote |= self._put_if_changed(
                layout.dash_key(video_id),
                dash_manifest(plan, tracks, measured=measured),
                "application/dash+xml",
            )
        return wrote

    def _measured(self, video_id: str, plan: SegmentPlan) -> dict[str, Rates] | None:
        """The ladder's measured rates once every segment is stored (ADR 0045), so a master
        (and MPD) written for its text tracks keeps the figures the transcode wrote; else
        None."""
        prefix = layout.hls_prefix(video_id)
        sizes = {info.key[len(prefix) :]: info.size for info in self.storage.list(prefix)}
        measured = measured_rates(plan, sizes)
        return measured if set(measured) == set(plan.rendition_names()) else None

    def _put_if_changed(self, key: str, text: str, content_type: str) -> bool:
        body = text.encode()
        try:
            if self.storage.get_bytes(key) == body:
                return False
        except FileNotFoundError:
            pass
        self.storage.put_bytes(key, body, content_type=content_type)
        return True

    # --- HLS/DASH media -----------------------------------------------------------------

    def media(self, video_id: str, name: str) -> str:
        """``subs-{track}_{nnnnn}.vtt`` (one HLS segment's cues) or ``subs-{track}.vtt``
        (the whole file); 404 ``segment_not_found`` for a track or segment there is not."""
        parsed = layout.parse_text_name(name)
        missing = NotFound("no such subtitle segment", code="segment_not_found")
        if parsed is None:
            raise missing
        track_id, index = parsed
        key = layout.text_key(video_id, track_id)
        try:
            info = self.storage.stat(key)
        except FileNotFoundError:
            raise missing from None
        if index is None:
            return self.storage.get_bytes(key).decode()
        plan = self.plans(video_id)
        bounds = segment_bounds(plan, index) if plan is not None else None
        if plan is None or bounds is None:
            raise missing
        document = self._document(key, info.etag)
        return segment_vtt(document, bounds[0], bounds[1], text_mpegts(plan))

    def _document(self, key: str, etag: str) -> CaptionDocument:
        """The parsed stored file, kept (a player asks for every segment of it)."""
        with self._lock:
            kept = self._parsed.get((key, etag))
            if kept is not None:
                self._parsed.move_to_end((key, etag))
                return kept
        document = parse_captions(self.storage.get_bytes(key))
        with self._lock:
            self._parsed[(key, etag)] = document
            while len(self._parsed) > 32:
                self._parsed.popitem(last=False)
        return document
