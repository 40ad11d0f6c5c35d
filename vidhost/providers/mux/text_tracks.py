"""Mux's text tracks on vidhost's one captions service (issue 22, ADR 0068).

- ``POST /video/v1/assets/{id}/tracks`` (``type: text``, ``text_type: subtitles``, ``url``,
  ``language_code``, ``name``, ``closed_captions``, ``passthrough``): a ``preparing`` track
  at once; the file is pulled by an ``ingest`` worker task (the URL guard, size-capped at
  the caption limit, restart-safe like an asset's URL pull: ``CaptionPulls``, ADR 0094),
  checked like an upload, then ``ready`` or ``errored`` (with the code);
- ``DELETE /video/v1/assets/{id}/tracks/{track_id}``;
- text inputs in ``input: [...]`` at creation (``add_track`` each: ``CaptionPulls``);
- the asset's ``tracks`` list text tracks (``text_track_view``);
- ``/{PLAYBACK_ID}/text/{TRACK_ID}.vtt``: the whole WebVTT, with the stream's access rules;
- webhooks ``video.asset.track.{created,ready,errored,deleted}`` (``webhook_format``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from vidhost.http.captions import VTT, serve_vtt
from vidhost.http.deps import ContainerDep
from vidhost.http.openapi import binary
from vidhost.providers.mux.auth import MuxOwner
from vidhost.providers.mux.errors import MUX_ERRORS, MuxRoute
from vidhost.providers.mux.text_track_views import TrackInput, add_track, text_track_view

router = APIRouter(route_class=MuxRoute, tags=["mux"])
files = APIRouter(route_class=MuxRoute, tags=["mux playback"])

# --- the API --------------------------------------------------------------------------------


@router.post("/video/v1/assets/{asset_id}/tracks", status_code=201, responses=MUX_ERRORS)
async def create_track(
    asset_id: str, body: TrackInput, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    """A text track from ``url`` (``preparing``, then ``ready`` or ``errored``)."""

    def run() -> dict[str, Any]:
        video = container.mux.asset(asset_id, owner)
        return text_track_view(add_track(container, video, body))

    return {"data": await run_in_threadpool(run)}


@router.delete(
    "/video/v1/assets/{asset_id}/tracks/{track_id}",
    status_code=204,
    response_class=Response,
    responses=MUX_ERRORS,
)
async def delete_track(
    asset_id: str, track_id: str, owner: MuxOwner, container: ContainerDep
) -> Response:
    def run() -> None:
        video = container.mux.asset(asset_id, owner)
        container.captions.delete(video, track_id)

    await run_in_threadpool(run)
    return Response(status_code=204)


# --- the file -------------------------------------------------------------------------------


@files.api_route(
    "/{playback_id}/text/{track_id}.vtt",
    methods=["GET", "HEAD"],
    responses={**binary(VTT, description="The text track's WebVTT"), **MUX_ERRORS},
)
async def track_file(playback_id: str, track_id: str, request: Request) -> Response:
    """``stream.mux.com/{PLAYBACK_ID}/text/{TRACK_ID}.vtt``."""
    from vidhost.providers.mux.playback import resolved

    container = request.app.state.container
    video, access, _ = await resolved(request, container, playback_id)
    return await serve_vtt(request, container, video.id, track_id, access)
