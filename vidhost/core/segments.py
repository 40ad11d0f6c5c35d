"""The segment plan: every segment boundary, chunk and playlist, fixed before encoding (ADR 0060).

From the probed duration and frame rate, the output runs at a constant rate ``fps``; segment
``k`` starts at frame ``round(k * segment_seconds * fps)`` (the last one is shorter). Chunks are
runs of consecutive segments (the first one small, so the start is fast); each chunk is one
task any worker can run. Playlists are pure functions of the plan, so they are stored before
a single frame is encoded. Pure: no ffmpeg, no storage.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from vidhost.core.bitrates import Rates, measure
from vidhost.core.layout import (
    AUDIO_RENDITION,
    CMAF,
    MPEG_TS,
    init_name,
    playlist_name,
    segment_name,
    text_rendition,
    text_segment_name,
)

DEFAULT_FPS = Fraction(30)
MAX_FPS = Fraction(60)
TS_OFFSET = 10.0
"""Seconds added to every output timestamp (every chunk and the audio alike), so that no
chunk's first decode timestamp is negative and no muxer shifts one chunk differently."""
AUDIO_GROUP = "audio"
AUDIO_SAMPLE_RATE = 48_000
AAC_FRAME = 1024
"""Samples per AAC-LC frame; also the encoder's priming (ffmpeg's ``aac`` delays its
output by one frame), which the audio init segment's edit list skips."""
MIN_TIMESCALE = 10_000
AUDIO_ONLY_RATE = Fraction(AUDIO_SAMPLE_RATE, AAC_FRAME)
"""The grid of an audio-only plan (ADR 0066): one "frame" is one AAC frame (46.875 per
second), so every segment boundary falls on an AAC frame and the planned duration is the
source's within half a frame."""
AUDIO_PEAK = 1.1
"""An audio-only variant's BANDWIDTH over its average: AAC's frames vary around the target."""
AUDIO_CODECS = "mp4a.40.2"
SUBTITLES_GROUP = "subs"
CAPTION_CHARACTERISTICS = (
    "public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound"
)
"""``CHARACTERISTICS`` of a closed-caption rendition (RFC 8216bis, Apple's authoring spec)."""
MPEGTS_CLOCK = 90_000


@dataclass(frozen=True)
class SubtitleRendition:
    """A ready text track as the master playlist and the MPD name it (ADR 0068)."""

    track_id: str
    language: str
    name: str
    closed_captions: bool = False


def output_rate(fps: float | None) -> Fraction:
    """The constant output frame rate for a source probed at ``fps`` (VFR: its average).

    NTSC rates come out exact (29.97 -> 30000/1001); above 60 fps the rate is halved until it
    fits; unknown rates give 30.
    """
    if fps is None or not math.isfinite(fps) or fps <= 0:
        return DEFAULT_FPS
    rate = Fraction(fps).limit_denominator(1001)
    for ntsc in (24, 30, 60):
        exact = Fraction(ntsc * 1000, 1001)
        if abs(float(rate) - float(exact)) < 0.005:
            rate = exact
    if rate.denominator not in (1, 1001) and abs(fps - round(fps)) < 0.01:
        rate = Fraction(round(fps))
    while rate > MAX_FPS:
        rate /= 2
    return rate


@dataclass(frozen=True)
class Segment:
    index: int
    start_frame: int
    frames: int


@dataclass(frozen=True)
class Chunk:
    index: int
    first_segment: int
    segment_count: int


@dataclass(frozen=True)
class PlannedRendition:
    name: str
    width: int
    height: int
    bandwidth: int
    """Peak bits/s of the variant (video maxrate + the audio rendition)."""
    video_bitrate: int
    max_bitrate: int
    buffer_size: int
    codecs: str
    """RFC 6381 codecs of the variant stream (video, plus audio when there is audio)."""


@dataclass(frozen=True)
class SegmentPlan:
    source_key: str
    duration: float
    fps_num: int
    fps_den: int
    segment_seconds: float
    total_frames: int
    segments: tuple[Segment, ...]
    chunks: tuple[Chunk, ...]
    renditions: tuple[PlannedRendition, ...]
    audio_bitrate: int | None
    """``None``: the source has no audio (no audio rendition)."""
    source_format: str | None = None
    """The container the probe found: every read of the source is pinned to it."""
    ts_offset: float = TS_OFFSET
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    packaging: str = MPEG_TS
    """``cmaf`` (fMP4 init + ``.m4s`` segments, ADR 0063) or ``ts`` (MPEG-TS: every plan
    stored before ADR 0063 has no such field, and its video keeps its segments)."""

    @property
    def fps(self) -> Fraction:
        return Fraction(self.fps_num, self.fps_den)

    @property
    def has_audio(self) -> bool:
        return self.audio_bitrate is not None

    @property
    def audio_only(self) -> bool:
        """No video rung: the audio rendition is the whole stream (ADR 0066)."""
        return not self.renditions and self.has_audio

    @property
    def cmaf(self) -> bool:
        return self.packaging == CMAF

    @property
    def video_timescale(self) -> int:
        """Ticks per second of the video tracks: a multiple of the frame rate's numerator (a
        frame is a whole number of ticks), the smallest power-of-two multiple ≥ 10 000."""
        scale = self.fps_num
        while scale < MIN_TIMESCALE:
            scale *= 2
        return scale

    @property
    def frame_ticks(self) -> int:
        """One frame in ``video_timescale`` ticks."""
        return self.video_timescale // self.fps_num * self.fps_den

    def segment_name(self, rendition: str, index: int) -> str:
        return segment_name(rendition, index, self.packaging)

    def audio_frame_starts(self) -> list[int]:
        """The AAC frame each audio segment starts with: ffmpeg's segment muxer cuts before
        the first frame whose timestamp reaches a boundary, and frame ``j``'s is
        ``j * AAC_FRAME`` (frame 0 holds the encoder's priming, so it is presented at
        ``(j - 1) * AAC_FRAME``: the init's edit list)."""
        starts = [0]
        for segment in self.segments[1:]:
            boundary = segment.start_frame * AUDIO_SAMPLE_RATE * self.fps_den
            samples = -(-boundary // self.fps_num)  # ceil
            starts.append(-(-samples // AAC_FRAME))
        return starts

    def audio_frames(self) -> int:
        """AAC frames of the whole audio track (priming included): the encoder's output for
        exactly the planned duration."""
        total = -(-self.total_frames * AUDIO_SAMPLE_RATE * self.fps_den // self.fps_num)
        return -(-(total + AAC_FRAME) // AAC_FRAME)

    def seconds(self, frame: int) -> float:
        return float(frame / self.fps)

    def segment_duration(self, segment: Segment) -> float:
        return float(segment.frames / self.fps)

    def chunk_segments(self, chunk: Chunk) -> tuple[Segment, ...]:
        return self.segments[chunk.first_segment : chunk.first_segment + chunk.segment_count]

    def chunk_frames(self, chunk: Chunk) -> tuple[int, int]:
        """``[start, end)`` output frame numbers of a chunk."""
        segs = self.chunk_segments(chunk)
        return segs[0].start_frame, segs[-1].start_frame + segs[-1].frames

    def rendition_names(self) -> list[str]:
        names = [r.name for r in self.renditions]
        return [*names, AUDIO_RENDITION] if self.has_audio else names

    def planned_segments(self) -> int:
        """Segments of every rendition (video rungs and audio) the plan names."""
        return len(self.segments) * len(self.rendition_names())

    def stored_segments(self, done_chunks: set[int], audio_done: bool) -> int:
        video = sum(c.segment_count for c in self.chunks if c.index in done_chunks)
        stored = video * len(self.renditions)
        if self.has_audio and audio_done:
            stored += len(self.segments)
        return stored

    def chunk_of(self, segment: int) -> Chunk | None:
        """The chunk that encodes segment ``segment`` (of every video rendition)."""
        for chunk in self.chunks:
            if chunk.first_segment <= segment < chunk.first_segment + chunk.segment_count:
                return chunk
        return None

    def rung_order(self) -> list[PlannedRendition]:
        """The first chunk's rungs in the order it encodes them when no player asks for one
        (ADR 0062): cheapest (lowest) first, so the start rung is stored soonest."""
        return sorted(self.renditions, key=lambda r: (r.height, r.video_bitrate))

    def start_segments(self) -> list[str]:
        """The segments stored before the video is ready (ADR 0062): the first chunk of the
        start rung (the lowest) and of the audio. Every other segment is then servable: the
        first chunk's other rungs are being encoded (a request makes its rung the next), every
        later chunk is encoded ahead or on demand (ADR 0061)."""
        first = self.chunk_segments(self.chunks[0])
        names = []
        if self.renditions:
            names = [self.segment_name(self.rung_order()[0].name, s.index) for s in first]
        if self.has_audio:
            names += [self.segment_name(AUDIO_RENDITION, s.index) for s in first]
        return names

    def playable(self, stored: Collection[str]) -> bool:
        """Every segment of every rendition is servable once ``start_segments`` are stored."""
        return all(name in stored for name in self.start_segments())

    # --- serialisation ----------------------------------------------------------------------

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> SegmentPlan:
        raw = json.loads(data)
        raw["segments"] = tuple(Segment(**s) for s in raw["segments"])
        raw["chunks"] = tuple(Chunk(**c) for c in raw["chunks"])
        raw["renditions"] = tuple(PlannedRendition(**r) for r in raw["renditions"])
        return cls(**raw)


def make_plan(
    *,
    source_key: str,
    source_format: str | None = None,
    duration: float,
    fps: float | None,
    segment_seconds: float,
    chunk_seconds: float,
    first_chunk_seconds: float,
    renditions: tuple[PlannedRendition, ...],
    audio_bitrate: int | None,
    packaging: str = CMAF,
    opening: Sequence[float] = (),
) -> SegmentPlan:
    """Boundaries after the ``opening`` segments (e.g. 1, 1, 2 s: short, so whatever rung a
    player starts on is made in a moment; each its own chunk), then every
    ``segment_seconds`` (the last segment shorter); chunks of whole segments, about
    ``chunk_seconds`` (without opening segments the first one ``first_chunk_seconds``; after
    them each chunk at most twice the one before, e.g. 4, 8, 12 s: a reader that starts
    at the beginning, or probes every rung's first seconds as ffmpeg does, waits for short
    chunks, ADR 0064).
    Opening segments no shorter than ``segment_seconds`` are left out. No ``renditions``
    with an ``audio_bitrate``: an audio-only plan (ADR 0066; ``fps``: ``AUDIO_ONLY_RATE``)."""
    if not duration or not math.isfinite(duration) or duration <= 0:
        raise ValueError("the duration must be positive")
    if segment_seconds <= 0:
        raise ValueError("segment_seconds must be positive")
    if not renditions and audio_bitrate is None:
        raise ValueError("at least one rendition, or the audio")
    if any(o <= 0 for o in opening):
        raise ValueError("opening segments must be positive")
    opening = [o for o in opening if o < segment_seconds]
    rate = output_rate(fps)
    total = max(1, round(duration * rate))
    nominal: list[float] = []  # each segment's planned length, seconds
    starts: list[int] = []
    at = 0.0
    while (start := round(at * rate)) < total:
        length = opening[len(starts)] if len(starts) < len(opening) else segment_seconds
        starts.append(start)
        nominal.append(length)
        at += length
    # A last segment shorter than a frame's worth of a tenth segment is folded into the previous.
    if len(starts) > 1 and total - starts[-1] < max(1, round(nominal[-1] * rate / 10)):
        starts.pop()
        nominal.pop()
    segments = tuple(
        Segment(i, s, (starts[i + 1] if i + 1 < len(starts) else total) - s)
        for i, s in enumerate(starts)
    )
    chunks: list[Chunk] = []
    index = 0
    while index < len(segments):
        if index < len(opening):
            count = 1
        else:
            limit = first_chunk_seconds if not chunks else chunk_seconds
            if opening:  # the chunks after the opening ramp up: each at most twice the last
                limit = min(limit, 2 * sum(nominal[chunks[-1].first_segment : index]))
            count, seconds = 1, nominal[index]
            while (
                index + count < len(segments) and seconds + nominal[index + count] <= limit + 1e-6
            ):
                seconds += nominal[index + count]
                count += 1
        chunks.append(Chunk(len(chunks), index, count))
        index += count
    return SegmentPlan(
        source_key=source_key,
        source_format=source_format,
        duration=duration,
        fps_num=rate.numerator,
        fps_den=rate.denominator,
        segment_seconds=segment_seconds,
        total_frames=total,
        segments=segments,
        chunks=tuple(chunks),
        renditions=renditions,
        audio_bitrate=audio_bitrate,
        packaging=packaging,
        version=2 if packaging == CMAF else 1,
    )


# --- playlists ------------------------------------------------------------------------------


def media_playlist(plan: SegmentPlan, rendition: str, *, uri_prefix: str = "segment/") -> str:
    """A VOD media playlist: exact ``#EXTINF`` from the plan, ``#EXT-X-ENDLIST``; a CMAF
    plan's names its init segment (``#EXT-X-MAP``, version 7)."""
    durations = [plan.segment_duration(s) for s in plan.segments]
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{7 if plan.cmaf else 3}",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(max(durations) - 1e-6))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    if plan.cmaf:
        lines.append(f'#EXT-X-MAP:URI="{uri_prefix}{init_name(rendition)}"')
    for segment, seconds in zip(plan.segments, durations, strict=True):
        lines.append(f"#EXTINF:{seconds:.6f},")
        lines.append(uri_prefix + plan.segment_name(rendition, segment.index))
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def measured_rates(plan: SegmentPlan, sizes: Mapping[str, int]) -> dict[str, Rates]:
    """Each rendition (video rungs and ``audio``) whose every segment is in ``sizes``
    (segment name -> bytes stored): its measured rates (``bitrates.measure``)."""
    durations = [plan.segment_duration(s) for s in plan.segments]
    found: dict[str, Rates] = {}
    for name in plan.rendition_names():
        stored = [sizes.get(plan.segment_name(name, s.index)) for s in plan.segments]
        if all(size is not None for size in stored):
            found[name] = measure(durations, [size or 0 for size in stored])
    return found


def variant_rates(plan: SegmentPlan, measured: Mapping[str, Rates]) -> dict[str, Rates]:
    """What each variant of the master playlist advertises (``BANDWIDTH`` = ``peak``,
    ``AVERAGE-BANDWIDTH`` = ``average``; keyed by the rendition the variant names). A rung
    whose segments (and the audio's, the group its variant carries) are all measured: the
    sums of their measured figures (RFC 8216 4.3.4.2: the largest sum of any playable
    combination; the group has one rendition). Otherwise the plan's: video maxrate + audio
    as peak, the target rates as average."""
    audio = plan.audio_bitrate or 0
    audio_measured = measured.get(AUDIO_RENDITION)
    if plan.audio_only:
        return {AUDIO_RENDITION: audio_measured or Rates(audio, math.ceil(audio * AUDIO_PEAK))}
    out: dict[str, Rates] = {}
    for r in plan.renditions:
        video = measured.get(r.name)
        if video is not None and (not plan.has_audio or audio_measured is not None):
            out[r.name] = video + audio_measured if audio_measured is not None else video
        else:
            out[r.name] = Rates(average=r.video_bitrate + audio, peak=r.bandwidth)
    return out


def text_mpegts(plan: SegmentPlan) -> int:
    """The 90 kHz media timestamp of time 0 (``X-TIMESTAMP-MAP``'s ``MPEGTS``): a CMAF
    plan's first segment has ``tfdt`` 0 and presents its first frame at it; an MPEG-TS
    plan's timestamps start at ``ts_offset``."""
    return 0 if plan.cmaf else round(plan.ts_offset * MPEGTS_CLOCK)


def text_playlist(plan: SegmentPlan, track_id: str, *, uri_prefix: str = "segment/") -> str:
    """A text track's WebVTT media playlist: one WebVTT segment per video segment, with the
    same boundaries (ADR 0068)."""
    durations = [plan.segment_duration(s) for s in plan.segments]
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(max(durations) - 1e-6))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    for segment, seconds in zip(plan.segments, durations, strict=True):
        lines.append(f"#EXTINF:{seconds:.6f},")
        lines.append(uri_prefix + text_segment_name(track_id, segment.index))
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def segment_bounds(plan: SegmentPlan, index: int) -> tuple[float, float] | None:
    """Start and end (seconds, media timeline from 0) of segment ``index``."""
    if not 0 <= index < len(plan.segments):
        return None
    segment = plan.segments[index]
    return plan.seconds(segment.start_frame), plan.seconds(segment.start_frame + segment.frames)


def _quoted(value: str) -> str:
    """A value for an HLS quoted-string attribute (no ``"``, no line breaks)."""
    return " ".join(value.replace('"', "'").split())


def _subtitle_media(subtitles: Sequence[SubtitleRendition]) -> list[str]:
    lines = []
    names: set[str] = set()
    for track in subtitles:
        name = _quoted(track.name) or track.language
        unique, n = name, 2
        while unique in names:  # NAME is unique within a group (RFC 8216 4.3.4.1.1)
            unique, n = f"{name} ({n})", n + 1
        names.add(unique)
        attrs = (
            f'TYPE=SUBTITLES,GROUP-ID="{SUBTITLES_GROUP}",NAME="{unique}",'
            f'LANGUAGE="{track.language}",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO'
        )
        if track.closed_captions:
            attrs += f',CHARACTERISTICS="{CAPTION_CHARACTERISTICS}"'
        uri = playlist_name(text_rendition(track.track_id))
        lines.append(f'#EXT-X-MEDIA:{attrs},URI="{uri}"')
    return lines


def master_playlist(
    plan: SegmentPlan,
    measured: Mapping[str, Rates] | None = None,
    subtitles: Sequence[SubtitleRendition] = (),
    *,
    advertised: Mapping[str, Rates] | None = None,
) -> str:
    """The master playlist: one variant per rung; audio is one separate rendition
    (``#EXT-X-MEDIA:TYPE=AUDIO``) that every variant references. An audio-only plan's one
    variant is the audio playlist itself (RFC 8216 4.3.4.2: CODECS, no RESOLUTION; ADR 0066).
    ``measured``: the stored renditions' rates (``measured_rates``), which replace the
    planned figures of every variant they cover (``variant_rates``, ADR 0045). Each ready
    text track in ``subtitles`` is a ``SUBTITLES`` rendition of one group every variant
    names (ADR 0068). ``advertised``: variant rates known already (``core.masters``), over
    those of ``measured``."""
    rates = {**variant_rates(plan, measured or {}), **(advertised or {})}
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{7 if plan.cmaf else 3}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    lines += _subtitle_media(subtitles)
    subs = f',SUBTITLES="{SUBTITLES_GROUP}"' if subtitles else ""
    if plan.audio_only:
        only = rates[AUDIO_RENDITION]
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={only.peak},"
            f'AVERAGE-BANDWIDTH={only.average},CODECS="{AUDIO_CODECS}"{subs}'
        )
        lines.append(playlist_name(AUDIO_RENDITION))
        return "\n".join(lines) + "\n"
    if plan.has_audio:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="default",DEFAULT=YES,'
            f'AUTOSELECT=YES,CHANNELS="2",URI="{playlist_name(AUDIO_RENDITION)}"'
        )
    rate = f"{float(plan.fps):.3f}"
    for r in plan.renditions:
        variant = rates[r.name]
        attrs = (
            f"BANDWIDTH={variant.peak},AVERAGE-BANDWIDTH={variant.average},"
            f'RESOLUTION={r.width}x{r.height},CODECS="{r.codecs}",FRAME-RATE={rate}'
        )
        if plan.has_audio:
            attrs += f',AUDIO="{AUDIO_GROUP}"'
        lines.append(f"#EXT-X-STREAM-INF:{attrs}{subs}")
        lines.append(playlist_name(r.name))
    return "\n".join(lines) + "\n"
