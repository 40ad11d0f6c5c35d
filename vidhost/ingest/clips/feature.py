"""Clips (ADR 0067): ``POST /api/videos/{id}/clips``, and the clip maker the Mux and
Cloudflare surfaces call (``container.clips``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.ingest.clips.service import ClipConfig, ClipService
from vidhost.media.binaries import ffmpeg_path

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    s = c.settings
    c.clips = ClipService(
        c.videos,
        c.storage,
        ClipConfig(ffmpeg=ffmpeg_path(s.ffmpeg), tmp_dir=s.tmp_dir, timeout=s.ffmpeg_timeout),
    )
    c.ingest_ways[ClipService.WAY] = c.clips.source_way()


def routers() -> Sequence[APIRouter]:
    from vidhost.ingest.clips import routes

    return (routes.router,)


FEATURE = Feature("clips", install=install, routers=routers)
