"""Every storage key vidhost writes, in one place (the storage layout).

``videos/{id}/`` holds everything of one video, so deleting that prefix removes it:

- ``source``: the upload;
- ``plan.json``: the segment plan (fixed before any frame is encoded, ADR 0060);
- ``hls/master.m3u8``, ``hls/{rendition}.m3u8``: playlists, written from the plan;
- ``hls/{rendition}_{nnnnn}.ts``: MPEG-TS segments (``audio`` is the audio rendition);
- ``poster.jpg``; ``media/``: cached thumbnails, storyboards and previews.

Processing outputs live under ``processed_videos/`` (metadata JSON, enhanced file).
"""

from __future__ import annotations

VIDEOS = "videos/"
PROCESSED = "processed_videos/"
MASTER = "master.m3u8"
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


def hls_prefix(video_id: str) -> str:
    return f"{video_prefix(video_id)}hls/"


def master_key(video_id: str) -> str:
    return hls_prefix(video_id) + MASTER


def playlist_name(rendition: str) -> str:
    return f"{rendition}.m3u8"


def playlist_key(video_id: str, rendition: str) -> str:
    return hls_prefix(video_id) + playlist_name(rendition)


def segment_name(rendition: str, index: int) -> str:
    """``360p_00003.ts``: what ``/stream/{id}/segment/{segmentId}`` serves."""
    return f"{rendition}_{index:05d}.ts"


def parse_segment_name(name: str) -> tuple[str, int] | None:
    """``360p_00003.ts`` -> ``("360p", 3)``; None for a name ``segment_name`` does not make."""
    stem, dot, ext = name.rpartition(".")
    rendition, _, number = stem.rpartition("_")
    if not dot or ext != "ts" or not rendition or len(number) < 5 or not number.isdigit():
        return None
    return rendition, int(number)


def media_kind(name: str) -> str | None:
    """What a name under ``hls/`` is, for the routes that serve one: ``"segment"`` (a media
    segment, planned and possibly encoded on demand), ``"init"`` (a rendition's CMAF init
    segment), or None for a name vidhost never writes. The one check every delivery surface
    makes before touching storage."""
    if parse_segment_name(name) is not None:
        return "segment"
    return None


def segment_key(video_id: str, rendition: str, index: int) -> str:
    return hls_prefix(video_id) + segment_name(rendition, index)


def poster_key(video_id: str) -> str:
    return f"{video_prefix(video_id)}{POSTER}"


def media_prefix(video_id: str) -> str:
    """Cached thumbnails, storyboards and previews (under the video's own prefix)."""
    return f"{video_prefix(video_id)}media/"


def metadata_key(video_id: str) -> str:
    return f"{PROCESSED}metadata/{video_id}_metadata.json"


def enhanced_prefix(video_id: str) -> str:
    """Every ``enhanced_{id}.{ext}`` object of a video starts with this."""
    return f"{PROCESSED}enhanced_{video_id}."


def enhanced_key(video_id: str, extension: str) -> str:
    return f"{enhanced_prefix(video_id)}{extension}"
