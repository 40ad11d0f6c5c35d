"""The DASH manifest (MPD) of a CMAF plan (ADR 0063): the HLS renditions' own init and media
segments, described for DASH players (dash.js, Shaka, ExoPlayer, ffmpeg's dash demuxer).

A static, ISO BMFF live-profile MPD: one video adaptation set (every rung a representation,
aligned segments) and one audio adaptation set, each a ``SegmentTemplate`` with a
``SegmentTimeline`` whose times are exactly the ``tfdt`` the packager writes: video segments
start at ``start_frame * frame_ticks``; audio segments at the AAC frame the segment muxer
cuts on (``SegmentPlan.audio_frame_starts``). Segment URIs are relative
(``segment/{rendition}_init.mp4``, ``segment/{rendition}_{nnnnn}.m4s``), so the manifest
serves from any surface whose segment route sits beside it. Pure: a function of the plan.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from vidhost.core.bitrates import Rates
from vidhost.core.layout import AUDIO_RENDITION, SEGMENT_EXTENSIONS, text_rendition
from vidhost.core.segments import AAC_FRAME, AUDIO_SAMPLE_RATE, SegmentPlan, SubtitleRendition

NAMESPACE = "urn:mpeg:dash:schema:mpd:2011"
PROFILES = "urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019"


def _duration(seconds: float) -> str:
    return f"PT{seconds:.3f}S"


def _timeline(durations: list[int]) -> list[str]:
    """``<S>`` elements, runs of equal durations folded with ``r``; the first carries t=0."""
    out: list[str] = []
    i = 0
    while i < len(durations):
        run = 1
        while i + run < len(durations) and durations[i + run] == durations[i]:
            run += 1
        t = ' t="0"' if i == 0 else ""
        r = f' r="{run - 1}"' if run > 1 else ""
        out.append(f'<S{t} d="{durations[i]}"{r}/>')
        i += run
    return out


def _template(timescale: int, durations: list[int], uri_prefix: str) -> list[str]:
    ext = SEGMENT_EXTENSIONS["cmaf"]
    init = quoteattr(f"{uri_prefix}$RepresentationID$_init.mp4")
    media = quoteattr(f"{uri_prefix}$RepresentationID$_$Number%05d$.{ext}")
    return [
        f'<SegmentTemplate timescale="{timescale}" initialization={init} media={media} '
        'startNumber="0">',
        "<SegmentTimeline>",
        *_timeline(durations),
        "</SegmentTimeline>",
        "</SegmentTemplate>",
    ]


def video_durations(plan: SegmentPlan) -> list[int]:
    return [s.frames * plan.frame_ticks for s in plan.segments]


def audio_durations(plan: SegmentPlan) -> list[int]:
    starts = [*plan.audio_frame_starts(), plan.audio_frames()]
    return [(b - a) * AAC_FRAME for a, b in itertools.pairwise(starts)]


def dash_manifest(
    plan: SegmentPlan,
    subtitles: Sequence[SubtitleRendition] = (),
    *,
    uri_prefix: str = "segment/",
    measured: Mapping[str, Rates] | None = None,
) -> str:
    """The MPD; an audio-only plan (ADR 0066) has the audio adaptation set alone. Each ready
    text track is a text adaptation set: its whole WebVTT file (ADR 0068). ``measured``:
    the stored renditions' rates (``segments.measured_rates``): a representation they cover
    advertises its measured peak as ``bandwidth`` (the rate that delivers any segment within
    its duration: what ``minBufferTime``, the longest segment, assumes), the planned maxrate
    otherwise (ADR 0045)."""
    measured = measured or {}
    if not plan.cmaf:
        raise ValueError("a DASH manifest needs CMAF segments")
    longest = max(s.frames for s in plan.segments) / float(plan.fps)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<MPD xmlns="{NAMESPACE}" profiles="{PROFILES}" type="static" '
        f'mediaPresentationDuration="{_duration(plan.seconds(plan.total_frames))}" '
        f'minBufferTime="{_duration(longest)}">',
        '<Period id="0" start="PT0S">',
    ]
    if plan.renditions:
        lines += _video_set(plan, uri_prefix, measured)
    if plan.has_audio:
        lines += _audio_set(plan, uri_prefix, measured.get(AUDIO_RENDITION))
    for n, track in enumerate(subtitles):
        lines += _text_set(2 + n, track, uri_prefix)
    lines += ["</Period>", "</MPD>"]
    return "\n".join(lines) + "\n"


def _video_set(plan: SegmentPlan, uri_prefix: str, measured: Mapping[str, Rates]) -> list[str]:
    widest = max(plan.renditions, key=lambda r: r.width * r.height)
    rate = f"{plan.fps_num}/{plan.fps_den}" if plan.fps_den != 1 else str(plan.fps_num)
    lines = [
        '<AdaptationSet id="0" contentType="video" mimeType="video/mp4" '
        f'segmentAlignment="true" startWithSAP="1" maxWidth="{widest.width}" '
        f'maxHeight="{widest.height}" frameRate="{rate}" par="{widest.width}:{widest.height}">'
    ]
    lines += _template(plan.video_timescale, video_durations(plan), uri_prefix)
    for r in sorted(plan.renditions, key=lambda r: r.video_bitrate):
        codec = r.codecs.split(",")[0]
        rates = measured.get(r.name)
        bandwidth = rates.peak if rates else r.max_bitrate
        lines.append(
            f'<Representation id="{r.name}" bandwidth="{bandwidth}" width="{r.width}" '
            f'height="{r.height}" sar="1:1" codecs="{codec}"/>'
        )
    lines.append("</AdaptationSet>")
    return lines


def _audio_set(plan: SegmentPlan, uri_prefix: str, measured: Rates | None) -> list[str]:
    lines = [
        '<AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" lang="und" '
        'segmentAlignment="true" startWithSAP="1">',
        '<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:'
        'audio_channel_configuration:2011" value="2"/>',
    ]
    lines += _template(AUDIO_SAMPLE_RATE, audio_durations(plan), uri_prefix)
    lines.append(
        f'<Representation id="{AUDIO_RENDITION}" '
        f'bandwidth="{measured.peak if measured else plan.audio_bitrate}" '
        f'codecs="mp4a.40.2" audioSamplingRate="{AUDIO_SAMPLE_RATE}"/>'
    )
    lines.append("</AdaptationSet>")
    return lines


def _text_set(set_id: int, track: SubtitleRendition, uri_prefix: str) -> list[str]:
    role = "caption" if track.closed_captions else "subtitle"
    rendition = text_rendition(track.track_id)
    return [
        f'<AdaptationSet id="{set_id}" contentType="text" mimeType="text/vtt" '
        f"lang={quoteattr(track.language)}>",
        f'<Role schemeIdUri="urn:mpeg:dash:role:2011" value="{role}"/>',
        f"<Label>{escape(track.name)}</Label>",
        f'<Representation id="{rendition}" bandwidth="256">',
        f"<BaseURL>{escape(uri_prefix + rendition)}.vtt</BaseURL>",
        "</Representation>",
        "</AdaptationSet>",
    ]
