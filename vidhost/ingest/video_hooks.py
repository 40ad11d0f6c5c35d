"""The video side of resumable uploads: the hooks ``vidhost.ingest.tus`` calls (ADR 0070)."""

from __future__ import annotations

import contextlib
from typing import Any

from vidhost.core.errors import Conflict, InvalidInput, NotFound, TooLarge
from vidhost.core.layout import source_key
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video
from vidhost.core.ports import Storage
from vidhost.core.videos import VideoService


class VideoUploadHooks:
    def __init__(self, videos: VideoService) -> None:
        self.videos = videos

    @property
    def storage(self) -> Storage:
        return self.videos.storage

    @property
    def max_duration_seconds(self) -> float | None:
        return self.videos.limits.max_duration_seconds

    def source_key(self, video_id: str) -> str:
        return source_key(video_id)

    def get(self, video_id: str) -> Video:
        return self.videos.get(video_id)

    def pre_create(self, owner: str, metadata: dict[str, Any]) -> tuple[str, str]:
        meta = metadata
        video = self.videos.create_pending(
            owner=owner,
            filename=meta.get("filename") or meta.get("name"),
            content_type=meta.get("content_type") or meta.get("filetype") or meta.get("type"),
            metadata=meta,
            state=VideoState.UPLOADING,
        )
        assert video.source_key is not None
        return video.id, video.source_key

    def merge_metadata(self, video_id: str, metadata: dict[str, str]) -> None:
        video = self.videos.get(video_id)
        self.videos.update(video_id, metadata={**metadata, **video.metadata})

    def post_finish(self, video_id: str, *, strict: bool) -> Video:
        """The upload holds every byte: accept the source (a refused one fails the video;
        ``strict`` callers hear why, tus ``PATCH`` answers as usual)."""
        try:
            return self.videos.accept_source(video_id, way="resumable")
        except (TooLarge, InvalidInput):
            if strict:
                raise
        return self.videos.get(video_id)

    def post_terminate(self, video_id: str) -> None:
        with contextlib.suppress(Conflict, NotFound):
            self.videos.delete(video_id)
