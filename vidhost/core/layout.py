"""Every storage key vidhost writes, in one place (the storage layout).

``videos/{id}/`` holds everything of one video, so deleting that prefix removes it:

- ``source``: the upload;
- ``plan.json``: the segment plan (fixed before any frame is encoded, ADR 0060);
- ``hls/master.m3u8``, ``hls/{rendition}.m3u8``: playlists, written from the plan;
- ``hls/{rendition}_init.mp4`` and ``hls/{rendition}_{nnnnn}.m4s``: CMAF init and media
  segments (ADR 0063; ``audio`` is the audio rendition); ``hls/manifest.mpd``: the DASH
  manifest over the same segments. Videos packaged before ADR 0063 have MPEG-TS segments
  ``hls/{rendition}_{nnnnn}.ts`` and no init or MPD; both kinds are served as stored;
- ``poster.jpg``; ``media/``: cached thumbnails, storyboards and previews;
- ``static/{rung}.mp4`` and ``static/audio.m4a``: static renditions (downloads), remuxed
  from a rung's stored segments (ADR 0065);
- ``text/{track}.vtt``: a text track's sanitized WebVTT; HLS names it ``subs-{track}.m3u8``
  (stored beside the other playlists) and ``subs-{track}_{nnnnn}.vtt`` (cut from the file
  per request), DASH and the whole-file routes ``subs-{track}.vtt`` (ADR 0068).

Processing outputs live under ``processed_videos/`` (metadata JSON, enhanced file).
"""

from __future__ import annotations

VIDEOS = "videos/"
PROCESSED = "processed_videos/"
MASTER = "master.m3u8"
DASH_MANIFEST = "manifest.mpd"
CMAF = "cmaf"
MPEG_TS = "ts"
SEGMENT_EXTENSIONS = {CMAF: "m4s", MPEG_TS: "ts"}
"""Media segment file extension of each packaging (``SegmentPlan.packaging``)."""
INIT_SUFFIX = "_init.mp4"
POSTER = "poster.jpg"
AUDIO_RENDITION = "audio"
"""Name of the audio rendition (its playlist ``audio.m3u8``, its segments ``audio_nnnnn.ts``)."""


def video_prefix(video_id: str) -> str:
    return f"{VIDEOS}{video_id}/"


def video_id_of(key: str) -> str | None:
    """The video a key under ``videos/`` belongs to (None for other keys)."""
    if not key.startswith(VIDEOS):
        return None
    return key[len(VIDEOS) :].split("/", 1)[0] or None


def source_key(video_id: str) -> str:
    return f"{video_prefix(video_id)}source"


def plan_key(video_id: str) -> str:
    return f"{video_prefix(video_id)}plan.json"


def quality_decision_key(video_id: str) -> str:
    """The content-aware ladder's decision for the title (ADR 0046)."""
    return f"{video_prefix(video_id)}quality.json"


def hls_prefix(video_id: str) -> str:
    return f"{video_prefix(video_id)}hls/"


def master_key(video_id: str) -> str:
    return hls_prefix(video_id) + MASTER


def playlist_name(rendition: str) -> str:
    return f"{rendition}.m3u8"


def playlist_key(video_id: str, rendition: str) -> str:
    return hls_prefix(video_id) + playlist_name(rendition)


def segment_name(rendition: str, index: int, packaging: str = CMAF) -> str:
    """``360p_00003.m4s`` (``360p_00003.ts`` before ADR 0063): what
    ``/stream/{id}/segment/{segmentId}`` serves."""
    return f"{rendition}_{index:05d}.{SEGMENT_EXTENSIONS[packaging]}"


def parse_segment_name(name: str) -> tuple[str, int] | None:
    """``360p_00003.m4s`` or ``360p_00003.ts`` -> ``("360p", 3)``; None for a name
    ``segment_name`` does not make."""
    stem, dot, ext = name.rpartition(".")
    rendition, _, number = stem.rpartition("_")
    if not dot or ext not in SEGMENT_EXTENSIONS.values():
        return None
    if not rendition or len(number) < 5 or not number.isdigit():
        return None
    return rendition, int(number)


def init_name(rendition: str) -> str:
    """``360p_init.mp4``: a rendition's CMAF init segment (``#EXT-X-MAP``)."""
    return f"{rendition}{INIT_SUFFIX}"


def parse_init_name(name: str) -> str | None:
    """``360p_init.mp4`` -> ``"360p"``; None otherwise."""
    if not name.endswith(INIT_SUFFIX):
        return None
    rendition = name[: -len(INIT_SUFFIX)]
    return rendition if rendition and "_" not in rendition and "." not in rendition else None


TEXT_PREFIX = "subs-"


def text_prefix(video_id: str) -> str:
    return f"{video_prefix(video_id)}text/"


def text_key(video_id: str, track_id: str) -> str:
    """A text track's whole WebVTT file."""
    return f"{text_prefix(video_id)}{track_id}.vtt"


def text_rendition(track_id: str) -> str:
    """The HLS rendition name of a text track (``subs-{track}``: its ``.m3u8``, segments)."""
    return f"{TEXT_PREFIX}{track_id}"


def parse_text_name(name: str) -> tuple[str, int | None] | None:
    """``subs-{track}_00003.vtt`` -> ``(track, 3)`` (an HLS WebVTT segment),
    ``subs-{track}.vtt`` -> ``(track, None)`` (the whole file); None otherwise."""
    stem, dot, ext = name.rpartition(".")
    if not dot or ext != "vtt" or not stem.startswith(TEXT_PREFIX):
        return None
    track, _, number = stem[len(TEXT_PREFIX) :].partition("_")
    if not track or not track.isalnum():
        return None
    if not number:
        return track, None
    if len(number) < 5 or not number.isdigit():
        return None
    return track, int(number)


def text_segment_name(track_id: str, index: int) -> str:
    return f"{text_rendition(track_id)}_{index:05d}.vtt"


def media_kind(name: str) -> str | None:
    """What a name under ``hls/`` is, for the routes that serve one: ``"segment"`` (a media
    segment, planned and possibly encoded on demand), ``"init"`` (a rendition's CMAF init
    segment), or None for a name vidhost never writes. The one check every delivery surface
    makes before touching storage. ``"text"``: a text track's WebVTT (ADR 0068)."""
    if parse_segment_name(name) is not None:
        return "segment"
    if parse_init_name(name) is not None:
        return "init"
    if parse_text_name(name) is not None:
        return "text"
    return None


def segment_key(video_id: str, rendition: str, index: int, packaging: str = CMAF) -> str:
    return hls_prefix(video_id) + segment_name(rendition, index, packaging)


def dash_key(video_id: str) -> str:
    return hls_prefix(video_id) + DASH_MANIFEST


def poster_key(video_id: str) -> str:
    return f"{video_prefix(video_id)}{POSTER}"


def media_prefix(video_id: str) -> str:
    """Cached thumbnails, storyboards and previews (under the video's own prefix)."""
    return f"{video_prefix(video_id)}media/"


def static_prefix(video_id: str) -> str:
    return f"{video_prefix(video_id)}static/"


def static_key(video_id: str, rung: str) -> str:
    """A static rendition's file: ``static/720p.mp4``, or ``static/audio.m4a`` for the audio."""
    ext = "m4a" if rung == AUDIO_RENDITION else "mp4"
    return f"{static_prefix(video_id)}{rung}.{ext}"


def metadata_key(video_id: str) -> str:
    return f"{PROCESSED}metadata/{video_id}_metadata.json"


def enhanced_prefix(video_id: str) -> str:
    """Every ``enhanced_{id}.{ext}`` object of a video starts with this."""
    return f"{PROCESSED}enhanced_{video_id}."


def enhanced_key(video_id: str, extension: str) -> str:
    return f"{enhanced_prefix(video_id)}{extension}"
