"""``/video/v1`` and ``/system/v1``: the Mux Video API subset (ADR 0091).

Every answer is ``{"data": ...}``; errors are Mux's ``{"error": {"type", "messages"}}``
(``errors.MuxRoute``); unknown request fields are ignored, as Mux ignores them. Auth: HTTP
Basic with an access token (``vidhost access-token create``), or a vidhost bearer token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.errors import InvalidInput
from vidhost.core.models import SigningKey
from vidhost.core.text_tracks import SUBTITLES
from vidhost.http.deps import ContainerDep
from vidhost.http.views import base_url
from vidhost.providers.mux import asset_settings, generated_subtitles, views
from vidhost.providers.mux import uploads as U
from vidhost.providers.mux.access_tokens import AccessTokens
from vidhost.providers.mux.asset_out import asset_out, assets_out
from vidhost.providers.mux.auth import MuxOwner
from vidhost.providers.mux.errors import MUX_ERRORS, MuxRoute
from vidhost.providers.mux.generated_subtitles import GeneratedSubtitle
from vidhost.providers.mux.service import MuxService
from vidhost.providers.mux.text_track_views import TrackInput, add_track, check_input
from vidhost.providers.mux.upload_links import upload_url

router = APIRouter(route_class=MuxRoute, tags=["mux"])

ERRORS = MUX_ERRORS
CLIP_URL = "mux://assets/"
"""An input naming one of the caller's assets: the new asset is a clip of it."""
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Page = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")]
Cursor = Annotated[str | None, Query(max_length=200, description="The previous page's next_cursor")]


def service(container: Container) -> MuxService:
    return container.mux


def data(value: Any) -> dict[str, Any]:
    return {"data": value}


class UploadInput(BaseModel):
    """An upload's input settings: no URL (the upload is the video)."""

    model_config = ConfigDict(extra="ignore")

    url: str | None = Field(default=None, max_length=2048)
    generated_subtitles: list[GeneratedSubtitle] | None = Field(
        default=None, max_length=generated_subtitles.MAX_LANGUAGES
    )


class AssetSettings(BaseModel):
    """The ``new_asset_settings`` vidhost reads; any other field is ignored."""

    model_config = ConfigDict(extra="ignore")

    playback_policy: list[str] | str | None = None
    playback_policies: list[str] | None = None
    passthrough: str | None = Field(default=None, max_length=255)
    mp4_support: str | None = None
    master_access: str | None = None
    video_quality: str | None = None
    encoding_tier: str | None = None
    max_resolution_tier: str | None = None
    normalize_audio: bool | None = None
    test: bool | None = None
    static_renditions: list[dict[str, Any]] | None = Field(default=None, max_length=20)
    meta: dict[str, Any] | None = None
    input: list[UploadInput] | str | None = None
    """An upload's ``new_asset_settings.input``: its ``generated_subtitles`` (ADR 0069)."""

    def generated(self) -> list[GeneratedSubtitle]:
        inputs = self.input if isinstance(self.input, list) else []
        return [g for i in inputs for g in i.generated_subtitles or []]


class CreateUpload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cors_origin: str | None = Field(default=None, max_length=2048)
    new_asset_settings: AssetSettings = Field(default_factory=AssetSettings)
    timeout: int = Field(default=U.DEFAULT_TIMEOUT, ge=U.MIN_TIMEOUT, le=U.MAX_TIMEOUT)
    test: bool = False


class Input(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = Field(max_length=2048)
    start_time: float | None = None
    """A clip's start (``mux://assets/{id}`` inputs), seconds; default 0."""
    end_time: float | None = None
    """A clip's end, seconds; default the source asset's duration."""
    type: str | None = Field(default=None, max_length=16)
    """``text``: a text track (the other fields below, ADR 0068); else the video."""
    text_type: str | None = Field(default=None, max_length=16)
    language_code: str | None = Field(default=None, max_length=35)
    name: str | None = Field(default=None, max_length=128)
    closed_captions: bool = False
    passthrough: str | None = Field(default=None, max_length=255)
    generated_subtitles: list[GeneratedSubtitle] | None = Field(
        default=None, max_length=generated_subtitles.MAX_LANGUAGES
    )
    """Subtitles generated from the video input's speech (ADR 0069)."""

    def text_track(self) -> TrackInput:
        return check_input(
            TrackInput(
                url=self.url,
                type="text",
                text_type=self.text_type or SUBTITLES,
                language_code=self.language_code or "",
                name=self.name,
                closed_captions=self.closed_captions,
                passthrough=self.passthrough,
            )
        )


class CreateAsset(AssetSettings):
    input: list[Input] | str | None = None  # type: ignore[assignment]
    inputs: list[Input] | None = None


class CreatePlaybackId(BaseModel):
    model_config = ConfigDict(extra="ignore")

    policy: str = "public"


class CreateToken(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, max_length=255)


def _settings(model: AssetSettings) -> dict[str, Any]:
    return model.model_dump(exclude_none=True, include=set(views.ASSET_SETTINGS))


# --- direct uploads -------------------------------------------------------------------------


def _upload_out(
    mux: MuxService, container: Container, base: str, record: U.MuxUpload
) -> dict[str, Any]:
    return views.upload_view(record, mux.status(record), upload_url(container, base, record))


@router.post("/video/v1/uploads", status_code=201, responses=ERRORS)
async def create_upload(
    body: CreateUpload, request: Request, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    """A direct upload: PUT the file (whole, or in ``Content-Range`` chunks) to ``url``."""
    mux, base = service(container), base_url(request)
    settings = asset_settings.check(container, _settings(body.new_asset_settings))
    generate = generated_subtitles.check(container, body.new_asset_settings.generated())
    if body.test:  # the upload's own flag makes its asset a test asset too
        settings["test"] = True

    def run() -> dict[str, Any]:
        record = mux.create_upload(
            owner,
            cors_origin=body.cors_origin,
            new_asset_settings=settings,
            timeout=body.timeout,
            test=body.test,
        )
        video = asset_settings.apply(container, record.video_id, settings)
        generated_subtitles.request(container, video, generate)  # once it is ready (ADR 0069)
        return _upload_out(mux, container, base, record)

    return data(await run_in_threadpool(run))


@router.get("/video/v1/uploads", responses=ERRORS)
async def list_uploads(
    request: Request, owner: MuxOwner, container: ContainerDep, limit: Limit = 25, page: Page = 1
) -> dict[str, Any]:
    mux, base = service(container), base_url(request)

    def run() -> list[dict[str, Any]]:
        records = mux.list_uploads(owner, limit=limit, page=page)
        return [_upload_out(mux, container, base, r) for r in records]

    return data(await run_in_threadpool(run))


@router.get("/video/v1/uploads/{upload_id}", responses=ERRORS)
async def get_upload(
    upload_id: str, request: Request, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    mux, base = service(container), base_url(request)
    return data(
        await run_in_threadpool(
            lambda: _upload_out(mux, container, base, mux.upload(upload_id, owner))
        )
    )


@router.put("/video/v1/uploads/{upload_id}/cancel", responses=ERRORS)
async def cancel_upload(
    upload_id: str, request: Request, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    mux, base = service(container), base_url(request)
    return data(
        await run_in_threadpool(
            lambda: _upload_out(mux, container, base, mux.cancel(upload_id, owner))
        )
    )


# --- assets ---------------------------------------------------------------------------------


@router.get("/video/v1/assets", responses=ERRORS)
async def list_assets(
    request: Request,
    owner: MuxOwner,
    container: ContainerDep,
    limit: Limit = 25,
    page: Page = 1,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Newest first; ``next_cursor`` (null on the last page) asks for the next page as
    ``?cursor=`` (what mux-node's auto-pagination follows); ``page`` still works."""
    mux, base = service(container), base_url(request)

    def run() -> dict[str, Any]:
        videos, next_cursor = mux.assets_page(owner, limit=limit, page=page, cursor=cursor)
        return {"data": assets_out(container, videos, base), "next_cursor": next_cursor}

    return await run_in_threadpool(run)


@router.post("/video/v1/assets", status_code=201, responses=ERRORS)
async def create_asset(
    body: CreateAsset, request: Request, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    """An asset pulled from ``input[0].url`` (public hosts only; size and time limited), or
    a clip of one of the caller's ready assets: ``mux://assets/{id}`` with ``start_time`` /
    ``end_time`` (ADR 0067)."""
    inputs = body.inputs or body.input
    if isinstance(inputs, str):
        inputs = [Input(url=inputs)]
    texts = [i.text_track() for i in inputs or [] if i.type == "text"]
    inputs = [i for i in inputs or [] if i.type != "text"]
    if not inputs:
        raise InvalidInput("input must name a URL", code="invalid_request")
    if len(inputs) > 1 or inputs[0].type not in (None, "video"):
        raise InvalidInput(
            "one video input (its URL) and text inputs are supported", code="invalid_request"
        )
    for text in texts:
        container.url_guard.check(text.url)  # before the asset exists
    generate = generated_subtitles.check(container, inputs[0].generated_subtitles)
    mux = service(container)

    settings = asset_settings.check(container, _settings(body))
    base = base_url(request)

    source = inputs[0]
    clip_of = source.url.removeprefix(CLIP_URL) if source.url.startswith(CLIP_URL) else None
    if clip_of is None and (source.start_time is not None or source.end_time is not None):
        raise InvalidInput(
            "start_time and end_time clip a mux://assets/{id} input only",
            code="unsupported_field",
        )

    def run() -> dict[str, Any]:
        options = asset_settings.options_of(container, settings)
        if clip_of is not None:
            video = mux.create_clip(
                owner, clip_of, source.start_time, source.end_time, settings, options
            )
        else:
            video = mux.create_asset(owner, source.url, settings, options)
        for text in texts:  # pulled beside the video (ADR 0068)
            add_track(container, video, text)
        generated_subtitles.request(container, video, generate)  # once it is ready (ADR 0069)
        return asset_out(container, asset_settings.apply(container, video.id, settings), base)

    return data(await run_in_threadpool(run))


@router.get("/video/v1/assets/{asset_id}", responses=ERRORS)
async def get_asset(
    asset_id: str, request: Request, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    mux, base = service(container), base_url(request)
    return data(
        await run_in_threadpool(lambda: asset_out(container, mux.asset(asset_id, owner), base))
    )


@router.delete(
    "/video/v1/assets/{asset_id}", status_code=204, response_class=Response, responses=ERRORS
)
async def delete_asset(asset_id: str, owner: MuxOwner, container: ContainerDep) -> Response:
    await run_in_threadpool(service(container).delete_asset, asset_id, owner)
    return Response(status_code=204)


# --- playback ids ---------------------------------------------------------------------------


@router.post("/video/v1/assets/{asset_id}/playback-ids", status_code=201, responses=ERRORS)
async def create_playback_id(
    asset_id: str, body: CreatePlaybackId, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    mux = service(container)
    pid = await run_in_threadpool(mux.create_playback_id, asset_id, owner, body.policy)
    return data(views.playback_id_view(pid))


@router.get("/video/v1/assets/{asset_id}/playback-ids/{playback_id}", responses=ERRORS)
async def get_asset_playback_id(
    asset_id: str, playback_id: str, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    mux = service(container)
    pid = await run_in_threadpool(lambda: mux.playback_id(playback_id, owner, asset_id))
    return data(views.playback_id_view(pid))


@router.delete(
    "/video/v1/assets/{asset_id}/playback-ids/{playback_id}",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_playback_id(
    asset_id: str, playback_id: str, owner: MuxOwner, container: ContainerDep
) -> Response:
    await run_in_threadpool(service(container).delete_playback_id, asset_id, playback_id, owner)
    return Response(status_code=204)


@router.get("/video/v1/playback-ids/{playback_id}", responses=ERRORS)
async def get_playback_id(
    playback_id: str, owner: MuxOwner, container: ContainerDep
) -> dict[str, Any]:
    """What a playback id plays: ``{id, policy, object: {type: asset, id}}``."""
    pid = await run_in_threadpool(lambda: service(container).playback_id(playback_id, owner))
    return data({**views.playback_id_view(pid), "object": {"type": "asset", "id": pid.video_id}})


# --- signing keys (ADR 0050's keys) and access tokens ---------------------------------------


def _key_out(key: SigningKey, private: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": key.id, "created_at": views.unix(key.created_at)}
    if private is not None:
        out["private_key"] = private
    return out


@router.post("/system/v1/signing-keys", status_code=201, responses=ERRORS)
async def create_signing_key(owner: MuxOwner, container: ContainerDep) -> dict[str, Any]:
    """The same keys as ``/api/signing-keys``: ``private_key`` (base64 PEM) is shown once."""
    key, private = await run_in_threadpool(container.playback.create_key, owner)
    return data(_key_out(key, private))


@router.get("/system/v1/signing-keys", responses=ERRORS)
async def list_signing_keys(owner: MuxOwner, container: ContainerDep) -> dict[str, Any]:
    keys = await run_in_threadpool(container.playback.list_keys, owner)
    return data([_key_out(k) for k in keys])


@router.get("/system/v1/signing-keys/{key_id}", responses=ERRORS)
async def get_signing_key(key_id: str, owner: MuxOwner, container: ContainerDep) -> dict[str, Any]:
    key = await run_in_threadpool(lambda: container.playback.get_key(key_id, owner=owner))
    return data(_key_out(key))


@router.delete(
    "/system/v1/signing-keys/{key_id}", status_code=204, response_class=Response, responses=ERRORS
)
async def delete_signing_key(key_id: str, owner: MuxOwner, container: ContainerDep) -> Response:
    await run_in_threadpool(lambda: container.playback.delete_key(key_id, owner=owner))
    return Response(status_code=204)


def _tokens(container: Container) -> AccessTokens:
    return container.access_tokens


@router.post("/system/v1/access-tokens", status_code=201, responses=ERRORS)
async def create_access_token(
    owner: MuxOwner, container: ContainerDep, body: CreateToken | None = None
) -> dict[str, Any]:
    """A new token for the caller; ``secret`` is shown only here (only its hash is kept)."""
    name = body.name if body else None
    token = await run_in_threadpool(_tokens(container).create, owner, name)
    return data(
        {
            "id": token.id,
            "secret": token.secret,
            "name": token.name,
            "created_at": views.unix(token.created_at),
        }
    )


@router.get("/system/v1/access-tokens", responses=ERRORS)
async def list_access_tokens(owner: MuxOwner, container: ContainerDep) -> dict[str, Any]:
    """The caller's tokens that are not revoked, without secrets."""
    rows = await run_in_threadpool(_tokens(container).list, owner)
    return data(
        [
            {"id": r["id"], "name": r["name"], "created_at": views.unix(r["created_at"])}  # type: ignore[arg-type]
            for r in rows
        ]
    )


@router.delete(
    "/system/v1/access-tokens/{token_id}",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def revoke_access_token(token_id: str, owner: MuxOwner, container: ContainerDep) -> Response:
    """Revoke: requests with it answer 401 from now on."""
    await run_in_threadpool(_tokens(container).revoke, token_id, owner)
    return Response(status_code=204)
