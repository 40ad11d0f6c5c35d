"""Generated captions on vidhost's API (ADR 0069): ``POST /api/videos/{id}/captions/generate``
(``{"language": "en" | "auto", "name"?}``: the owner only; 202 with the ``preparing`` track,
or the one already preparing or ready in that language) and ``GET
/api/videos/{id}/captions/{trackId}/transcript`` (a ready track's text, plain; read like its
``.vtt``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vidhost.core.access import Audience
from vidhost.http.captions import CaptionOut, caption_out
from vidhost.http.deps import ContainerDep, CurrentUser, ViewerDep
from vidhost.http.reads import readable

router = APIRouter(prefix="/api/videos", tags=["captions"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "unsupported_language, no_audio (the video has no sound), invalid_request"
    },
    401: {"description": "Missing or invalid bearer token"},
    403: {"description": "The video belongs to another user"},
    404: {"description": "Unknown video (video_not_found) or track (track_not_found)"},
    409: {"description": "not_ready: the track is still preparing (transcript)"},
}


class GenerateIn(BaseModel):
    language: str = Field(
        default="en",
        description="A language the recognizer knows (en, fr, de, ...), or auto (detected)",
    )
    name: str | None = Field(default=None, description="Display name (default: the language)")


@router.post(
    "/{video_id}/captions/generate",
    status_code=202,
    response_model=CaptionOut,
    responses=ERRORS,
)
async def generate_captions(
    video_id: str, body: GenerateIn, request: Request, user: CurrentUser, container: ContainerDep
) -> CaptionOut:
    """Generate captions from the video's speech (offline recognizer): a ``preparing``
    generated track, ``ready`` when its text is in (``errored`` with ``no_speech`` or
    ``no_audio``). Runs once the video is ready, once per language."""

    def run() -> CaptionOut:
        video = container.videos.get(video_id, owner=user)
        track = container.caption_generation.request(video, body.language, name=body.name)
        return caption_out(request, track)

    return await run_in_threadpool(run)


@router.get(
    "/{video_id}/captions/{track_id}/transcript",
    responses={200: {"content": {"text/plain": {}}}, **ERRORS},
    response_class=Response,
)
async def transcript(
    video_id: str, track_id: str, container: ContainerDep, viewer: ViewerDep
) -> Response:
    """A ready track's words as plain text, a cue a line."""

    def run() -> str:
        readable(container, video_id, viewer, Audience.VIDEO)
        return container.caption_generation.transcript(video_id, track_id)

    text = await run_in_threadpool(run)
    return Response(text, media_type="text/plain; charset=utf-8")
