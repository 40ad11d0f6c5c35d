"""Changing an asset after creation: ``PATCH /video/v1/assets/{id}`` (``passthrough``,
``meta``) and ``PUT /video/v1/assets/{id}/master-access`` (``master_access.py``). Both answer
the asset, as Mux does; a change sends ``video.asset.updated`` (the grant of a ready asset's
master also sends ``video.asset.master.ready``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.core.models import EDITED, Video
from vidhost.http.deps import ContainerDep
from vidhost.http.views import base_url
from vidhost.providers.mux.asset_out import asset_out
from vidhost.providers.mux.auth import MuxOwner
from vidhost.providers.mux.errors import MUX_ERRORS, MuxRoute
from vidhost.providers.mux.master_access import check_value

router = APIRouter(route_class=MuxRoute, tags=["mux"])

UPDATED = EDITED


class Meta(BaseModel):
    """Mux's ``meta``: the sizes Mux allows."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=512)
    creator_id: str | None = Field(default=None, max_length=128)
    external_id: str | None = Field(default=None, max_length=128)


class UpdateAsset(BaseModel):
    model_config = ConfigDict(extra="ignore")

    passthrough: str | None = Field(default=None, max_length=255)
    meta: Meta | None = None


class UpdateMasterAccess(BaseModel):
    model_config = ConfigDict(extra="ignore")

    master_access: str


def mux_metadata(video: Video) -> dict[str, Any]:
    return dict(video.metadata.get("mux") or {})


@router.patch("/video/v1/assets/{asset_id}", responses=MUX_ERRORS)
async def update_asset(
    asset_id: str, body: UpdateAsset, request: Request, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    """``passthrough`` and ``meta`` (``title``, ``creator_id``, ``external_id``); a field
    left out keeps its value, ``meta`` replaces the whole object."""
    mux, base = container.mux, base_url(request)

    def run() -> dict[str, Any]:
        video = mux.asset(asset_id, owner)
        fields = mux_metadata(video)
        sent = body.model_fields_set
        if "passthrough" in sent:
            fields["passthrough"] = body.passthrough
        if "meta" in sent:
            fields["meta"] = body.meta.model_dump(exclude_none=True) if body.meta else None
        metadata = {**video.metadata, "mux": fields}
        title = (fields.get("meta") or {}).get("title") if "meta" in sent else video.title
        title = title[:500] if title else None  # the native title: what the web app shows
        container.videos.update(video.id, metadata=metadata, title=title)
        updated = container.videos.get(video.id)
        if sent:
            container.videos.notify(updated, UPDATED)
        return asset_out(container, updated, base)

    return {"data": await run_in_threadpool(run)}


@router.put("/video/v1/assets/{asset_id}/master-access", responses=MUX_ERRORS)
async def update_master_access(
    asset_id: str,
    body: UpdateMasterAccess,
    request: Request,
    owner: MuxOwner,
    container: ContainerDep,
) -> dict[str, Any]:
    """``temporary``: a 24 h link to the original (``master.url``); ``none``: withdrawn."""
    mux, master, base = container.mux, container.mux_master, base_url(request)
    value = check_value(body.master_access)

    def run() -> dict[str, Any]:
        video = mux.asset(asset_id, owner)
        master.check(value)
        updated = master.set(video, value)
        container.videos.notify(updated, UPDATED)
        return asset_out(container, updated, base)

    return {"data": await run_in_threadpool(run)}
