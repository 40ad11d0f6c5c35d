"""``transcode_audio``: the audio rendition, encoded once, stored segment by segment."""

from __future__ import annotations

import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vidhost.core import layout
from vidhost.core.limits import normalizes_audio
from vidhost.core.models import utcnow
from vidhost.core.scheduling import (
    BACKGROUND_NICE,
)
from vidhost.core.segments import SegmentPlan
from vidhost.media.chunks import build_audio_command
from vidhost.media.enhance import PRESETS, audio_filters, measure_command
from vidhost.media.hls import build_waveform_command
from vidhost.media.loudness import measure_loudness
from vidhost.media.process import renice
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import task_limits
from vidhost.processing.runner import (
    TaskContext,
    forget_if_deleted,
)
from vidhost.processing.transcode.parts import PartEncoder
from vidhost.processing.transcode.sources import load_plan
from vidhost.processing.transcode.watch import Watch

log = logging.getLogger(__name__)

NORMALIZE = PRESETS["loudnorm"]
"""EBU R128 at -23 LUFS, the enhancement's own loudness normalisation."""


class AudioEncoder(PartEncoder):
    """``transcode_audio``: the audio rendition, encoded once, cut on the plan's boundaries.

    Each segment is stored as soon as ffmpeg has finished it (it opens the next one only
    after closing the last), so the first chunk's audio is stored within a second or two
    whatever the video's length, and the video can be ready long before the audio ends
    (ADR 0062); a request for an audio segment not stored yet waits for it (ADR 0061)."""

    def __call__(self, ctx: TaskContext) -> None:
        self._still_wanted(ctx)
        cfg = self.config
        plan = load_plan(self.storage, ctx.video.id)
        if plan.audio_bitrate is None:
            return
        cfg.tmp_dir.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(1, thread_name_prefix="waveform") as pool:
            # An audio-only video's poster is its waveform, rendered beside the encode.
            poster = pool.submit(self._waveform, ctx, plan) if plan.audio_only else None
            self._encode(ctx, plan, plan.audio_bitrate)
            if poster is not None:
                poster.result()
                self.progress.part_done(ctx)  # the poster may be the last of the start

    def _encode(self, ctx: TaskContext, plan: SegmentPlan, bitrate: int) -> None:
        cfg = self.config
        end = plan.seconds(plan.total_frames)
        names = [plan.segment_name(layout.AUDIO_RENDITION, s.index) for s in plan.segments]
        start = plan.chunks[0].segment_count
        with (
            self._input(ctx, plan) as source,
            tempfile.TemporaryDirectory(dir=cfg.tmp_dir, prefix=f"audio-{ctx.video.id}-") as tmp,
        ):
            out = Path(tmp)
            stored = 0
            pids: list[int] = []
            written = names  # what ffmpeg writes: the names themselves, or CMAF's raw files
            if plan.cmaf:
                written = [n.rsplit(".", 1)[0] + ".mp4" for n in names]
            at = 0  # CMAF: the next segment's decode time, in samples

            def store(batch: list[str]) -> None:
                nonlocal at
                packaged, at = self._package(ctx, plan, out, batch, audio_at=at)
                self._store(ctx, out, packaged)

            promote: Watch | None = None

            def store_finished(percent: float) -> None:
                nonlocal stored, promote
                ctx.progress(percent)
                if promote is not None:
                    promote.check()
                finished = stored
                while finished + 1 < len(names) and (out / written[finished + 1]).is_file():
                    finished += 1
                if finished > stored:
                    store(names[stored:finished])
                    before, stored = stored, finished
                    if before < start <= stored:
                        self.progress.part_done(ctx)  # the start may make the video ready
                        for pid in pids:  # the rest is ahead of any player: yield the cores
                            renice(pid, BACKGROUND_NICE)
                        # ... until a reader waits for a segment of it (ADR 0064)
                        promote = Watch(self.tasks, ctx, since=utcnow(), pids=pids)

            gain = self._loudness(ctx, plan, source[-1])
            cmd = build_audio_command(
                cfg.ffmpeg,
                source,
                str(out),
                layout.AUDIO_RENDITION,
                duration=end,
                boundaries=[plan.seconds(s.start_frame) for s in plan.segments[1:]],
                bitrate=bitrate,
                ts_offset=plan.ts_offset,
                strict=cfg.strict_decode,
                cmaf=plan.cmaf,
                gain=gain,
            )
            run_ffmpeg(
                cmd,
                duration=end,
                on_progress=store_finished,
                limits=task_limits(cfg.timeout),
                on_start=pids.append,
                on_tick=lambda: promote.check() if promote is not None else None,
            )
            store(names[stored:])

    def _loudness(self, ctx: TaskContext, plan: SegmentPlan, source: str) -> str | None:
        """The loudness filter of a video whose audio is normalised (Mux's
        ``normalize_audio``, ADR 0094): the enhancement's two-pass EBU R128 loudnorm
        (``media.enhance``, -23 LUFS, linear), so the whole audio is measured before its
        first segment. None: not asked for, or silence (nothing to bring up)."""
        if not normalizes_audio(ctx.video):
            return None
        cfg, options = self.config, NORMALIZE
        command = measure_command(cfg.ffmpeg, source, options, input_format=plan.source_format)
        measured = measure_loudness(command, timeout=cfg.timeout)
        if measured is None:
            return None
        log.info("audio of %s measured at %.1f LUFS", ctx.video.id, measured.input_i)
        return audio_filters(options, measured)

    def _waveform(self, ctx: TaskContext, plan: SegmentPlan) -> None:
        """The waveform of the whole source as the poster (ADR 0066), unless stored."""
        video, cfg = ctx.video, self.config
        key = layout.poster_key(video.id)
        try:
            self.storage.stat(key)
            return  # a re-run
        except FileNotFoundError:
            pass
        with (
            self.sources.open(video, plan.source_key) as source,
            tempfile.TemporaryDirectory(dir=cfg.tmp_dir, prefix=f"poster-{video.id}-") as tmp,
        ):
            poster = Path(tmp) / layout.POSTER
            run_ffmpeg(
                build_waveform_command(
                    cfg.ffmpeg, str(source), str(poster), input_format=plan.source_format
                ),
                duration=None,
                limits=task_limits(cfg.timeout),
            )
            ctx.check_claim()
            self.storage.put_file(key, poster, move=True, content_type="image/jpeg")
        forget_if_deleted(self.service, video.id)
