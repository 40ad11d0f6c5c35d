"""Cloudflare Stream's generated captions on vidhost's one generation service (issue 22,
ADR 0069): ``POST .../stream/{uid}/captions/{language}/generate`` answers the caption
``{generated: true, label, language, status}`` (``inprogress`` until its text is in, then
``ready``, or ``error``). As at Cloudflare, the video must be ready to view; one language is
recognized once (a second request answers the caption there is)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.core.errors import NotReady
from vidhost.core.lifecycle import VideoState
from vidhost.http.deps import ContainerDep
from vidhost.providers.cloudflare.auth import PREFIX, Account
from vidhost.providers.cloudflare.captions import caption_view, label_of
from vidhost.providers.cloudflare.envelope import CloudflareRoute, success
from vidhost.providers.cloudflare.videos import owned

router = APIRouter(prefix=PREFIX, tags=["cloudflare stream"], route_class=CloudflareRoute)


@router.post("/{uid}/captions/{language}/generate")
async def generate(uid: str, language: str, user: Account, container: ContainerDep) -> Response:
    """Captions generated from the video's speech in ``language``."""
    container.caption_generation.check(language)

    def run() -> dict[str, Any]:
        video = owned(container, uid, user)
        if video.state is not VideoState.READY:
            raise NotReady(f"the video is {video.state.value}, not ready to view")
        name = label_of(language) if language.lower() != "auto" else None
        track = container.caption_generation.request(video, language, name=name)
        return caption_view(track)

    return success(await run_in_threadpool(run))
