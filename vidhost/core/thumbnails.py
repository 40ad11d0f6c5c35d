"""Images rendered from a video on demand: what a still asks for, and the renderer port.

Every surface that shows frames (vidhost's ``/api/videos/{id}/thumbnail``, Mux's
``image.mux.com`` shapes, Cloudflare's ``/thumbnails/thumbnail.jpg``) asks a ``Renderer``;
``vidhost.delivery.thumbnails.renderer.MediaRenderer`` implements it with ffmpeg behind one
render gate per process, and the ``thumbnails`` feature installs it as
``Container.renderer``. The web answers they share are ``vidhost.http.thumbnails``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from vidhost.core.errors import DomainError
from vidhost.core.models import Video
from vidhost.core.ports import ObjectInfo


@dataclass(frozen=True)
class Still:
    time: float
    width: int | None
    height: int | None
    fit: str
    fmt: str


class RenderBusy(DomainError):
    """Every render slot stayed taken for the whole wait (HTTP 503 with ``Retry-After``)."""

    code = "render_busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Renderer(Protocol):
    """Renders once, then answers from the storage cache; ``RenderBusy`` when every slot
    stays taken, ``NotReady``/``Conflict`` when there is no source (or it changed)."""

    def still(self, video: Video, still: Still) -> ObjectInfo:
        """The frame at ``still.time`` (0.1 s steps), in ``still.fmt``."""
        ...

    def storyboard(self, video: Video) -> tuple[ObjectInfo, str]:
        """The sprite sheet and its WebVTT index (tile URLs relative to the .vtt)."""
        ...

    def preview(
        self, video: Video, *, start: float, duration: float, width: int, fps: int, fmt: str
    ) -> ObjectInfo:
        """A looping, silent animation (GIF or animated WebP)."""
        ...
