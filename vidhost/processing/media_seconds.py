"""Seconds of media one run of a task encodes: the numerator of the encode-speed metric."""

from __future__ import annotations

from vidhost.core.lifecycle import TaskKind
from vidhost.core.ports import Storage, VideoStore
from vidhost.media.errors import MediaError
from vidhost.processing.transcode import load_plan


class MediaSeconds:
    """``(video_id, kind, part) -> seconds | None``: one chunk's span, the whole audio, or the
    video's duration; None for the planning ``transcode`` (its parts encode) or when unknown."""

    def __init__(self, storage: Storage, videos: VideoStore) -> None:
        self.storage = storage
        self.videos = videos

    def __call__(self, video_id: str, kind: str, part: int) -> float | None:
        if kind in (TaskKind.TRANSCODE_CHUNK, TaskKind.TRANSCODE_AUDIO):
            try:
                plan = load_plan(self.storage, video_id)
            except MediaError:
                return None
            if kind == TaskKind.TRANSCODE_AUDIO:
                return plan.seconds(plan.total_frames)
            if not 0 <= part < len(plan.chunks):
                return None
            start, end = plan.chunk_frames(plan.chunks[part])
            return plan.seconds(end - start)
        if kind == TaskKind.TRANSCODE:
            return None  # it plans; its parts encode
        video = self.videos.get_video(video_id)
        return video.duration if video is not None else None
