"""A stored ladder's measured bit rates: the master playlist and the renditions (ADR 0045).

Once every segment of the ladder is stored, ``store_measured`` lists them (one listing of the
video's ``hls/``), measures each rendition (``core.segments.measured_rates``), rewrites the
master playlist with the measured ``BANDWIDTH``/``AVERAGE-BANDWIDTH`` (and the MPD's
``bandwidth``: the measured peak) and writes the same
figures on the video's renditions. The master is one stored object rewritten in place: its
``ETag``/``Last-Modified`` change with it (``http.hls`` serves it like any object). Idempotent:
parts that finish at once may both call it, and they write the same bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from vidhost.core import layout
from vidhost.core.bitrates import Rates
from vidhost.core.dash import dash_manifest
from vidhost.core.models import Rendition
from vidhost.core.ports import Storage
from vidhost.core.segments import SegmentPlan, master_playlist, measured_rates, variant_rates
from vidhost.core.videos import VideoService

log = logging.getLogger(__name__)


def renditions_of(
    plan: SegmentPlan,
    measured: Mapping[str, Rates] | None = None,
    previous: Sequence[Rendition] = (),
) -> list[Rendition]:
    """The video's renditions for ``plan``: the rates its master advertises (measured ones
    where ``measured`` covers the variant), the quality measured before kept (``previous``)."""
    measured = measured or {}
    rates = variant_rates(plan, measured)
    audio_ok = not plan.has_audio or layout.AUDIO_RENDITION in measured
    kept = {r.name: r for r in previous}
    out = []
    for r in plan.renditions:
        variant = rates[r.name]
        before = kept.get(r.name)
        out.append(
            Rendition(
                name=r.name,
                width=r.width,
                height=r.height,
                bitrate=r.video_bitrate + (plan.audio_bitrate or 0),
                playlist=layout.playlist_name(r.name),
                codec=r.codecs.split(",")[0],
                average_bitrate=variant.average,
                peak_bitrate=variant.peak,
                measured=r.name in measured and audio_ok,
                vmaf_mean=before.vmaf_mean if before else None,
                vmaf_p5=before.vmaf_p5 if before else None,
            )
        )
    return out


def stored_sizes(storage: Storage, video_id: str) -> dict[str, int]:
    """Segment name -> bytes, of every object under the video's ``hls/``."""
    prefix = layout.hls_prefix(video_id)
    return {info.key[len(prefix) :]: info.size for info in storage.list(prefix)}


def store_measured(
    service: VideoService, storage: Storage, video_id: str, plan: SegmentPlan
) -> bool:
    """Measure the stored renditions, rewrite the master playlist and the video's renditions
    with the figures; False (nothing written) if the video is gone or a rendition is not
    wholly stored."""
    measured = measured_rates(plan, stored_sizes(storage, video_id))
    if set(measured) != set(plan.rendition_names()):
        return False
    video = service.find(video_id)
    if video is None:
        return False
    storage.put_bytes(
        layout.master_key(video_id),
        master_playlist(plan, measured).encode(),
        content_type="application/vnd.apple.mpegurl",
    )
    if plan.cmaf:  # the MPD's bandwidth too
        storage.put_bytes(
            layout.dash_key(video_id),
            dash_manifest(plan, measured=measured).encode(),
            content_type="application/dash+xml",
        )
    renditions = renditions_of(plan, measured, video.renditions)
    service.update(video_id, renditions=renditions)
    log.info(
        "measured rates of %s: %s",
        video_id,
        ", ".join(f"{r.name} {r.average_bitrate}/{r.peak_bitrate}" for r in renditions),
    )
    return True
