"""Mux's static renditions on vidhost's one mechanism (ADR 0065).

- ``mp4_support`` (deprecated at Mux, still what upload-URL backends send): ``standard``
  -> ``high.mp4``, ``medium.mp4``, ``low.mp4`` as far as the ladder's rungs allow; ``capped-1080p``,
  ``audio-only`` and both; ``PUT /video/v1/assets/{id}/mp4-support`` changes it;
- ``static_renditions: [{resolution}]`` at creation, ``POST/DELETE
  /video/v1/assets/{id}/static-renditions[/{id}]``;
- the asset's ``static_renditions`` object (``status``, ``files``), in Mux's shape;
- files at ``/{PLAYBACK_ID}/{name}`` (``?download=NAME`` makes it an attachment), signed
  playback ids with ``?token=`` (aud ``v``), as for the stream.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from vidhost.core.static_renditions import (
    CAPPED_1080P,
    LEGACY,
    ORIGIN_MP4_SUPPORT,
    name_of,
)
from vidhost.http.deps import ContainerDep
from vidhost.http.downloads import serve_download
from vidhost.http.openapi import binary
from vidhost.http.views import base_url
from vidhost.providers.mux.asset_out import asset_out
from vidhost.providers.mux.auth import MuxOwner
from vidhost.providers.mux.errors import MUX_ERRORS, MuxRoute
from vidhost.providers.mux.static_rendition_views import (
    RESOLUTIONS,
    StaticRenditionSetting,
    UpdateMp4Support,
    file_view,
    mp4_specs,
    resolution_of,
)

router = APIRouter(route_class=MuxRoute, tags=["mux"])
files = APIRouter(route_class=MuxRoute, tags=["mux playback"])

NAMES = tuple(dict.fromkeys(name_of(s) for s in (*LEGACY, CAPPED_1080P, *RESOLUTIONS)))
"""Every file name a playback id serves (``/{PLAYBACK_ID}/high.mp4`` ...): one route each,
so no path of another surface (``/static/...``) is taken."""


# --- the API --------------------------------------------------------------------------------


@router.post("/video/v1/assets/{asset_id}/static-renditions", status_code=201, responses=MUX_ERRORS)
async def create_static_rendition(
    asset_id: str, body: StaticRenditionSetting, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    """A static rendition of ``resolution`` (``preparing``, then ``ready`` or ``skipped``)."""
    spec = resolution_of(body.resolution)

    def run() -> dict[str, Any]:
        video = container.mux.asset(asset_id, owner)
        record = container.static_renditions.request(video, spec, passthrough=body.passthrough)
        return file_view(record)

    return {"data": await run_in_threadpool(run)}


@router.delete(
    "/video/v1/assets/{asset_id}/static-renditions/{rendition_id}",
    status_code=204,
    response_class=Response,
    responses=MUX_ERRORS,
)
async def delete_static_rendition(
    asset_id: str, rendition_id: str, owner: MuxOwner, container: ContainerDep
) -> Response:
    def run() -> None:
        video = container.mux.asset(asset_id, owner)
        container.static_renditions.remove(video.id, rendition_id)

    await run_in_threadpool(run)
    return Response(status_code=204)


@router.put("/video/v1/assets/{asset_id}/mp4-support", responses=MUX_ERRORS)
async def update_mp4_support(
    request: Request,
    asset_id: str,
    body: UpdateMp4Support,
    owner: MuxOwner,
    container: ContainerDep,
) -> dict[str, Any]:
    """Change ``mp4_support``: files of the old value it no longer names are deleted, the
    new ones are made."""
    specs = mp4_specs(body.mp4_support)

    def run() -> dict[str, Any]:
        mux, statics = container.mux, container.static_renditions
        video = mux.asset(asset_id, owner)
        meta = dict(video.metadata)
        meta["mux"] = {**dict(meta.get("mux") or {}), "mp4_support": body.mp4_support}
        container.videos.update(video.id, metadata=meta)
        names = {name_of(s) for s in specs}
        statics.remove_where(video.id, lambda r: r.origin != ORIGIN_MP4_SUPPORT or r.name in names)
        statics.request_many(video.id, list(specs), origin=ORIGIN_MP4_SUPPORT)
        return asset_out(container, mux.asset(asset_id, owner), base)

    base = base_url(request)
    return {"data": await run_in_threadpool(run)}


# --- the files ------------------------------------------------------------------------------


def _file_route(name: str) -> None:
    async def serve(playback_id: str, request: Request) -> Response:
        from vidhost.providers.mux.playback import resolved

        container = request.app.state.container
        video, access, _ = await resolved(request, container, playback_id)
        download = request.query_params.get("download")
        return await serve_download(
            request,
            container,
            video,
            access,
            name,
            filename=download or name,
            attachment=download is not None,
        )

    files.add_api_route(
        f"/{{playback_id}}/{name}",
        serve,
        methods=["GET", "HEAD"],
        name=f"static_{name}",
        summary=f"The asset's {name} (Range; ?download=NAME for an attachment)",
        responses={**binary("video/mp4", "audio/mp4", description=name), **MUX_ERRORS},
    )


for _name in NAMES:
    _file_route(_name)
