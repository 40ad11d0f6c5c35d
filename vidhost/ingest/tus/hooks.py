"""What the uploads package asks of the video domain: tusd's hooks, as one small protocol.

The uploads package never imports ``vidhost.core.videos``; wiring passes an
implementation (``vidhost.ingest.video_hooks.VideoUploadHooks``).
"""

from __future__ import annotations

from typing import Any, Protocol

from vidhost.core.models import Video
from vidhost.core.ports import Storage


class VideoHooks(Protocol):
    @property
    def storage(self) -> Storage:
        """Where complete uploads go (the video storage)."""
        ...

    @property
    def max_duration_seconds(self) -> float | None: ...

    def pre_create(self, owner: str, metadata: dict[str, Any]) -> tuple[str, str]:
        """A pending video (``uploading``) for a new upload: its id and source key."""
        ...

    def merge_metadata(self, video_id: str, metadata: dict[str, str]) -> None: ...

    def post_finish(self, video_id: str, *, strict: bool) -> Video:
        """The completion callback: the source is complete in storage; validate it and start
        processing (idempotent). ``strict``: raise why a video is refused; otherwise the
        refusal is recorded on the video (``failed`` with its code)."""
        ...

    def post_terminate(self, video_id: str) -> None:
        """The upload is gone: remove its pending video."""
        ...

    def get(self, video_id: str) -> Video: ...

    def source_key(self, video_id: str) -> str: ...
