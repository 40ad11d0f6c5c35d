"""Thumbnails, storyboards and previews rendered on demand (ADR 0043),
behind one render gate per process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.delivery.thumbnails.renderer import MediaRenderer, RenderConfig, RenderGate
from vidhost.media.binaries import ffmpeg_path

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    s = c.settings
    c.renderer = MediaRenderer(
        c.storage,
        RenderConfig(
            ffmpeg=ffmpeg_path(s.ffmpeg),
            tmp_dir=s.tmp_dir,
            feeds_ladder=s.enhance_feeds_ladder,
            timeout=min(s.ffmpeg_timeout, s.render_timeout),
            gate=RenderGate(s.max_concurrent_renders, wait=s.render_queue_seconds),
            memory_bytes=s.render_memory_mb * 1024 * 1024 if s.render_memory_mb else None,
        ),
    )


def routers() -> Sequence[APIRouter]:
    from vidhost.delivery.thumbnails import routes

    return (routes.router,)


FEATURE = Feature(
    "thumbnails",
    install=install,
    routers=routers,
)
