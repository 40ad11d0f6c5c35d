"""A stored ladder's measured bit rates: the master playlist and the renditions (ADR 0045).

Once every segment of the ladder is stored, ``store_measured`` lists them (one listing of the
video's ``hls/``, ``core.masters.stored_measured``), measures each rendition, writes the
figures on the video's renditions and rewrites the master playlist with the measured
``BANDWIDTH``/``AVERAGE-BANDWIDTH`` (and the MPD's ``bandwidth``: each representation's
measured peak) through the one master writer (``core.masters``), with
the video's text tracks when the captions feature is installed. The master is one stored
object rewritten in place: its ``ETag``/``Last-Modified`` change with it (``http.hls``
serves it like any object). Idempotent: parts that finish at once may both call it, and they
write the same bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from vidhost.core import layout
from vidhost.core.bitrates import Rates
from vidhost.core.masters import complete, stored_measured, write_master
from vidhost.core.models import Rendition
from vidhost.core.ports import Storage
from vidhost.core.segments import SegmentPlan, variant_rates
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


Publish = Callable[[str, Mapping[str, Rates], SegmentPlan], bool]
"""Writes a video's master from the plan with the rates given and its text tracks
(``Captions.publish``)."""


def store_measured(
    service: VideoService,
    storage: Storage,
    video_id: str,
    plan: SegmentPlan,
    publish: Publish | None = None,
) -> bool:
    """Measure the stored renditions, write the figures on the video's renditions and then
    the master playlist (``publish``: with the video's text tracks; without it, the master
    of the plan and the rates only); False (nothing written) if the video is gone or a
    rendition is not wholly stored. The renditions first: a publish racing this one reads
    the rates from them (``masters.advertised_rates``)."""
    measured = stored_measured(storage, video_id, plan)
    if not complete(plan, measured):
        return False
    video = service.find(video_id)
    if video is None:
        return False
    renditions = renditions_of(plan, measured, video.renditions)
    service.update(video_id, renditions=renditions)
    advertised = variant_rates(plan, measured)
    if publish is not None:
        publish(video_id, advertised, plan)
    else:
        write_master(storage, video_id, plan, advertised)
    log.info(
        "measured rates of %s: %s",
        video_id,
        ", ".join(f"{r.name} {r.average_bitrate}/{r.peak_bitrate}" for r in renditions),
    )
    return True
