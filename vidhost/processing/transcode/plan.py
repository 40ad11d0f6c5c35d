"""``transcode``: the segment plan and every playlist, stored before a frame is
encoded; then the chunk and audio tasks."""

from __future__ import annotations

import logging

from vidhost.core import layout
from vidhost.core.lifecycle import TaskKind, VideoState
from vidhost.core.limits import kept_duration, max_short_side
from vidhost.core.masters import write_master
from vidhost.core.ports import Storage, TaskStore
from vidhost.core.quality import BASIC, TierSettings, tier_settings, video_tier
from vidhost.core.segments import (
    AUDIO_ONLY_RATE,
    PlannedRendition,
    SegmentPlan,
    make_plan,
    media_playlist,
)
from vidhost.core.videos import VideoService
from vidhost.media.errors import (
    INTERRUPTIONS,
    MediaError,
)
from vidhost.media.hls import codecs_string
from vidhost.media.ladder import AUDIO_ONLY_BITRATE, select_ladder, with_cap
from vidhost.media.probe import MediaInfo
from vidhost.processing.probing import MediaProber
from vidhost.processing.runner import (
    TaskContext,
    TaskContinues,
    forget_if_deleted,
)
from vidhost.processing.transcode.config import (
    QUALITY_KEY,
    TranscodeConfig,
)
from vidhost.processing.transcode.ladder import LadderProgress, fail_video
from vidhost.processing.transcode.reuse import clip_plan
from vidhost.processing.transcode.sources import SourceFiles, load_plan

log = logging.getLogger(__name__)


class Transcoder:
    """The ``transcode`` task: plan and playlists, then the chunk and audio tasks.

    The plan is cut from the probe made at acceptance (ADR 0090); an enhanced file is probed
    in the sandbox, with the limits, pinned to the accepted container."""

    def __init__(
        self,
        service: VideoService,
        tasks: TaskStore,
        storage: Storage,
        config: TranscodeConfig,
        progress: LadderProgress | None = None,
    ) -> None:
        self.service = service
        self.tasks = tasks
        self.storage = storage
        self.config = config
        self.prober = MediaProber(config.probe)
        self.progress = progress or LadderProgress(service, tasks, storage)
        self.sources = SourceFiles(storage, config.tmp_dir, config.cache_sources)

    def __call__(self, ctx: TaskContext) -> None:
        video = ctx.video
        source_key = ctx.source_key  # ``no_source`` before the state changes
        self.service.change_state(video, VideoState.PROCESSING)
        try:
            plan = self._plan(ctx, source_key)
        except MediaError as exc:
            if exc.code not in INTERRUPTIONS:  # a killed ffmpeg runs again (the runner)
                fail_video(self.service, video, exc)
            raise
        except Exception as exc:
            self.service.change_state(
                video,
                VideoState.FAILED,
                error_code="internal_error",
                error_message=f"processing failed: {type(exc).__name__}",
            )
            raise
        # The first chunk and the audio first: together they are the start of the video.
        # An audio-only plan's chunks group its segments; the audio task encodes them all.
        parts = [(TaskKind.TRANSCODE_CHUNK, c.index) for c in plan.chunks if plan.renditions]
        if plan.has_audio:
            parts.insert(1, (TaskKind.TRANSCODE_AUDIO, 0))
        forget_if_deleted(self.service, video.id)  # the plan and playlists
        ctx.check_claim()
        self.service.start_parts(video.id, parts)
        if self.progress.update(video.id):  # a re-run after every part was already done
            return
        raise TaskContinues

    def _plan(self, ctx: TaskContext, source_key: str) -> SegmentPlan:
        video = ctx.video
        try:
            plan = load_plan(self.storage, video.id)
            if plan.source_key == source_key:
                return plan  # a re-run: the plan and playlists are stored already
        except MediaError:
            pass
        cfg = self.config
        cfg.tmp_dir.mkdir(parents=True, exist_ok=True)
        with self.sources.open(video, source_key) as source:  # the first chunk reuses it
            info = self.prober.accepted(video, source, source_key)  # probed at acceptance
            duration = kept_duration(video, info.duration)  # a test asset: its first 10 s
            quality = tier_settings(video_tier(video), cfg.quality_target)
            plan = self._make_plan(info, source_key, max_short_side(video), duration, quality)
            plan = clip_plan(self.storage, video, plan)  # a clip: its source's segments
        # The playlists and the plan name segments that do not exist yet: nothing serves them
        # before the video is ready (ADR 0060), and re-runs write the same bytes.
        for rung in plan.renditions:
            self.storage.put_bytes(
                layout.playlist_key(video.id, rung.name),
                media_playlist(plan, rung.name).encode(),
                content_type="application/vnd.apple.mpegurl",
            )
        if plan.has_audio:
            self.storage.put_bytes(
                layout.playlist_key(video.id, layout.AUDIO_RENDITION),
                media_playlist(plan, layout.AUDIO_RENDITION).encode(),
                content_type="application/vnd.apple.mpegurl",
            )
        write_master(self.storage, video.id, plan)  # the tracks come with ready (ADR 0068)
        self.storage.put_bytes(layout.plan_key(video.id), plan.to_json())
        return plan

    def _make_plan(
        self,
        info: MediaInfo,
        source_key: str,
        cap: int | None = None,
        duration: float | None = None,
        quality: TierSettings | None = None,
    ) -> SegmentPlan:
        """``cap``: the video's own highest rung (short side, ``max_short_side``);
        ``duration``: how much of the source the video keeps (default: all of it);
        ``quality``: its tier's settings (ADR 0046; default ``basic``): a content-aware
        tier's rungs are planned with their caps (maxrate, buffer), the peak each may reach."""
        duration = info.duration if duration is None else duration
        quality = quality or tier_settings(BASIC)
        cfg = self.config
        if info.video is None:
            if info.audio is None:
                raise MediaError("not_a_video", "the source has no video or audio stream")
            return self._audio_only_plan(info, source_key, duration)
        v = info.video
        has_audio = info.audio is not None
        heights = [h for h in cfg.heights if cap is None or h <= cap] or [cap or 0]
        ladder = select_ladder(v.display_width, v.display_height, heights)
        audio_bitrate = ladder[0].audio_bitrate if has_audio else None
        if quality.content_aware:
            ladder = [with_cap(r, top=i == 0) for i, r in enumerate(ladder)]
        renditions = tuple(
            PlannedRendition(
                name=r.name,
                width=r.width,
                height=r.height,
                bandwidth=r.max_bitrate + (audio_bitrate or 0),
                video_bitrate=r.video_bitrate,
                max_bitrate=r.max_bitrate,
                buffer_size=r.buffer_size,
                codecs=codecs_string(r, has_audio=has_audio, fps=v.fps or 30.0),
            )
            for r in ladder
        )
        plan = make_plan(
            source_key=source_key,
            source_format=info.format_name,
            duration=duration,
            fps=v.fps,
            segment_seconds=cfg.segment_seconds,
            chunk_seconds=cfg.chunk_seconds,
            first_chunk_seconds=cfg.first_chunk_seconds or cfg.segment_seconds,
            renditions=renditions,
            audio_bitrate=audio_bitrate,
            packaging=cfg.packaging,
            opening=cfg.opening_seconds,
        )
        plan.extra[QUALITY_KEY] = quality.to_dict()
        return plan

    def _audio_only_plan(self, info: MediaInfo, source_key: str, duration: float) -> SegmentPlan:
        """No video rung: the audio rendition is the stream, on a grid of AAC frames (ADR
        0066). Its poster is the waveform the audio task renders."""
        cfg = self.config
        return make_plan(
            source_key=source_key,
            source_format=info.format_name,
            duration=duration,
            fps=float(AUDIO_ONLY_RATE),
            segment_seconds=cfg.segment_seconds,
            chunk_seconds=cfg.chunk_seconds,
            first_chunk_seconds=cfg.first_chunk_seconds or cfg.segment_seconds,
            renditions=(),
            audio_bitrate=AUDIO_ONLY_BITRATE,
            packaging=cfg.packaging,
            opening=cfg.opening_seconds,
        )
