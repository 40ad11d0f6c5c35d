"""The one writer of a video's stored master playlist and MPD (ADR 0045, 0068).

``write_master`` composes the plan, the rates the master advertises and the ready text
tracks, and writes the master playlist, the MPD (CMAF plans) and each track's WebVTT media
playlist, each only when its bytes differ from the stored ones. The MPD's ``bandwidth`` is
each representation's own measured peak once the whole ladder is measured. Every writer of
the master calls it: the plan stage (no tracks yet, planned rates), ``Captions.publish`` (a track
became ready or was removed, or a ladder part was stored) and the ladder's measurement
(``processing.transcode.measured.store_measured``, through ``Captions.publish`` when the
captions feature is installed), so no writer drops what another wrote.

The rates come from the video's renditions (``advertised_rates``): each measured one
(``Rendition.measured``) carries the figures its variant advertises, so a publish reads no
segment listing. An audio-only plan has no rendition on the video: its one variant is
measured from the stored segments (``stored_measured``, the one listing of ``hls/``, which
the ladder's measurement also uses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vidhost.core import layout
from vidhost.core.bitrates import Rates
from vidhost.core.dash import dash_manifest
from vidhost.core.models import Video
from vidhost.core.ports import Storage
from vidhost.core.segments import (
    SegmentPlan,
    SubtitleRendition,
    master_playlist,
    measured_rates,
    text_playlist,
    variant_rates,
)

HLS_TYPE = "application/vnd.apple.mpegurl"
DASH_TYPE = "application/dash+xml"


def stored_measured(storage: Storage, video_id: str, plan: SegmentPlan) -> dict[str, Rates]:
    """The measured rates of each rendition (video rungs and ``audio``) whose every segment
    is stored (``segments.measured_rates``): one listing of the video's ``hls/``."""
    prefix = layout.hls_prefix(video_id)
    sizes = {info.key[len(prefix) :]: info.size for info in storage.list(prefix)}
    return measured_rates(plan, sizes)


def complete(plan: SegmentPlan, measured: Mapping[str, Rates]) -> bool:
    """Does ``measured`` cover every rendition of the plan (the whole ladder is stored)?"""
    return set(measured) == set(plan.rendition_names())


def advertised_rates(storage: Storage, video: Video, plan: SegmentPlan) -> dict[str, Rates]:
    """What the master advertises per variant (``segments.variant_rates``' keys) where it is
    measured; the plan's figures stand for the others. From the video's measured renditions;
    an audio-only plan (no rendition on the video) from its stored segments, once all are."""
    if plan.audio_only:
        measured = stored_measured(storage, video.id, plan)
        return variant_rates(plan, measured) if complete(plan, measured) else {}
    return {
        r.name: Rates(average=r.average_bitrate, peak=r.peak_bitrate)
        for r in video.renditions
        if r.measured and r.average_bitrate is not None and r.peak_bitrate is not None
    }


def write_master(
    storage: Storage,
    video_id: str,
    plan: SegmentPlan,
    advertised: Mapping[str, Rates] | None = None,
    tracks: Sequence[SubtitleRendition] = (),
) -> bool:
    """Write the master playlist (and the MPD of a CMAF plan, and each track's WebVTT
    playlist) from ``plan``, the ``advertised`` rates and the ready ``tracks``, each only
    when it differs from the stored one; True when the master or the MPD was written."""
    for track in tracks:
        key = layout.playlist_key(video_id, layout.text_rendition(track.track_id))
        put_if_changed(storage, key, text_playlist(plan, track.track_id), HLS_TYPE)
    text = master_playlist(plan, subtitles=tracks, advertised=advertised)
    wrote = put_if_changed(storage, layout.master_key(video_id), text, HLS_TYPE)
    if plan.cmaf:
        measured = _measured_ladder(storage, video_id, plan, advertised)
        mpd = dash_manifest(plan, tracks, measured=measured)
        wrote |= put_if_changed(storage, layout.dash_key(video_id), mpd, DASH_TYPE)
    return wrote


def _measured_ladder(
    storage: Storage, video_id: str, plan: SegmentPlan, advertised: Mapping[str, Rates] | None
) -> dict[str, Rates] | None:
    """Each rendition's own measured rates for the MPD (a representation's ``bandwidth`` is
    its own peak, not its variant's sum with the audio), once the master advertises a measured
    rate for every variant (the whole ladder is stored): one listing of ``hls/`` then, none
    while the ladder encodes."""
    if not advertised or set(advertised) != set(variant_rates(plan, {})):
        return None
    measured = stored_measured(storage, video_id, plan)
    return measured if complete(plan, measured) else None


def put_if_changed(storage: Storage, key: str, text: str, content_type: str) -> bool:
    """Store ``text`` at ``key`` unless the stored bytes are the same; True when written."""
    body = text.encode()
    try:
        if storage.get_bytes(key) == body:
            return False
    except FileNotFoundError:
        pass
    storage.put_bytes(key, body, content_type=content_type)
    return True
