"""The ``quality_measurement`` task: VMAF of every stored rung against the source (ADR 0045).

Started once the whole ladder is stored (``LadderProgress``), so it never delays ``ready``
nor a segment a player waits for; its ffmpeg runs at ``BACKGROUND_NICE``. It scores a few
windows (``sample_windows``: whole segments spread over the video, every ``n_subsample``-th
frame) rather than the whole video, so it costs a fraction of the encode; each window is one
ffmpeg run that decodes the source once for every rung (``media.vmaf``). The mean and 5th
percentile of each rung's scores go on the video's renditions. A failure leaves the video
alone (its renditions keep ``vmaf: null``).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vidhost.core import layout
from vidhost.core.models import Video
from vidhost.core.ports import Storage
from vidhost.core.scheduling import BACKGROUND_NICE
from vidhost.core.segments import SegmentPlan
from vidhost.core.videos import VideoService
from vidhost.media.errors import MediaError
from vidhost.media.formats import input_args
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import task_limits
from vidhost.media.vmaf import N_SUBSAMPLE, Score, build_vmaf_command, frame_scores, pool
from vidhost.processing.probing import source_copy
from vidhost.processing.runner import TaskContext, forget_if_deleted
from vidhost.processing.static_remux import concatenate
from vidhost.processing.transcode.sources import load_plan

log = logging.getLogger(__name__)

SOURCE_MISSING = "source_missing"
WINDOWS = 3
"""Windows scored per video: one in each third."""
WINDOW_SECONDS = 2.0
"""The most of a segment a window scores (its first frames): the cost is in decoding and
upscaling every frame of the window, not only in the frames libvmaf scores."""


@dataclass
class QualityConfig:
    ffmpeg: str
    tmp_dir: Path
    timeout: float
    windows: int = WINDOWS
    window_seconds: float = WINDOW_SECONDS
    n_subsample: int = N_SUBSAMPLE


def sample_windows(plan: SegmentPlan, count: int = WINDOWS) -> list[int]:
    """The segments whose start is scored: the middle one of each of ``count`` equal runs of
    the plan's segments (every segment when there are no more than ``count``)."""
    total = len(plan.segments)
    if total <= count:
        return list(range(total))
    return sorted({int((i + 0.5) * total / count) for i in range(count)})


def _progress(ctx: TaskContext, done: int, windows: int, percent: float) -> None:
    ctx.progress((done + percent / 100) * 99 / windows)


class QualityMeasurer:
    def __init__(self, service: VideoService, storage: Storage, config: QualityConfig) -> None:
        self.service = service
        self.storage = storage
        self.config = config

    def __call__(self, ctx: TaskContext) -> None:
        video = ctx.video
        plan = load_plan(self.storage, video.id)
        if not plan.renditions:
            return  # audio only: no picture to score
        windows = sample_windows(plan, self.config.windows)
        self.config.tmp_dir.mkdir(parents=True, exist_ok=True)
        try:
            scores = self._score(video, plan, windows, ctx)
        except FileNotFoundError:  # the video was deleted meanwhile, or its source is gone
            raise MediaError(SOURCE_MISSING, "the source or a segment is not in storage") from None
        measured = {name: pool(found) for name, found in scores.items()}
        ctx.check_claim()
        self._store(video.id, measured)
        forget_if_deleted(self.service, video.id)
        log.info(
            "VMAF of %s (%d windows): %s",
            video.id,
            len(windows),
            ", ".join(f"{k} {s.mean:.1f}/{s.p5:.1f}" for k, s in measured.items()),
        )

    def _score(
        self, video: Video, plan: SegmentPlan, windows: list[int], ctx: TaskContext
    ) -> dict[str, list[float]]:
        """Every rung's per-frame scores over the windows."""
        cfg = self.config
        top = max(plan.renditions, key=lambda r: r.height)
        width, height = video.width or top.width, video.height or top.height
        width, height = width - width % 2, height - height % 2
        scores: dict[str, list[float]] = {r.name: [] for r in plan.renditions}
        with (
            tempfile.TemporaryDirectory(dir=cfg.tmp_dir, prefix=f"vmaf-{video.id}-") as tmp,
            source_copy(self.storage, video, plan.source_key) as source,
        ):
            for n, index in enumerate(windows):
                segment = plan.segments[index]
                frames = min(segment.frames, max(1, round(cfg.window_seconds * plan.fps)))
                rungs, logs = [], []
                for r in plan.renditions:
                    keys = [layout.hls_prefix(video.id) + plan.segment_name(r.name, index)]
                    if plan.cmaf:
                        keys.insert(0, layout.hls_prefix(video.id) + layout.init_name(r.name))
                    path = Path(tmp) / f"{r.name}-{n}.{'mp4' if plan.cmaf else 'ts'}"
                    concatenate(self.storage, keys, path)
                    rungs.append(str(path))
                    logs.append(str(Path(tmp) / f"{r.name}-{n}.json"))
                args = build_vmaf_command(
                    cfg.ffmpeg,
                    [*input_args(plan.source_format), "-i", str(source)],
                    rungs,
                    logs,
                    fps=plan.fps,
                    start_frame=segment.start_frame,
                    end_frame=segment.start_frame + frames,
                    width=width,
                    height=height,
                    n_subsample=cfg.n_subsample,
                )
                run_ffmpeg(
                    args,
                    duration=plan.seconds(frames),
                    on_progress=functools.partial(_progress, ctx, n, len(windows)),
                    limits=task_limits(cfg.timeout, nice=BACKGROUND_NICE),
                )
                for r, log_path in zip(plan.renditions, logs, strict=True):
                    scores[r.name] += frame_scores(Path(log_path).read_bytes())
        return scores

    def _store(self, video_id: str, measured: dict[str, Score]) -> None:
        video = self.service.find(video_id)
        if video is None:
            return
        renditions = [
            dataclasses.replace(r, vmaf_mean=measured[r.name].mean, vmaf_p5=measured[r.name].p5)
            if r.name in measured
            else r
            for r in video.renditions
        ]
        self.service.update(video_id, renditions=renditions)
