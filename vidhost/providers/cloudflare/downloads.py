"""Downloads in Cloudflare Stream's shape, on vidhost's static renditions (ADR 0065).

- ``POST/GET/DELETE .../stream/{uid}/downloads`` (the ``default`` MP4, the highest rung)
  and ``.../downloads/audio`` (the M4A), or ``.../downloads/{default|audio}``: the result
  is ``{default?: {status, url, percentComplete}, audio?: {...}}``, ``status``
  ``inprogress | ready | error``;
- the files at ``/{uid}/downloads/default.mp4`` and ``/{uid}/downloads/audio.m4a`` (a
  ``requireSignedURLs`` video's with a signed token in place of the uid, or ``?token=``),
  decided as every playback read (``vidhost.core.access``).

As at Cloudflare, a download is created for a video that is ready to view.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.errors import NotFound
from vidhost.core.lifecycle import TaskKind
from vidhost.core.static_renditions import (
    AUDIO_ONLY,
    DEFAULT,
    ERRORED,
    READY,
    SKIPPED,
    StaticRendition,
    name_of,
    rung_part,
)
from vidhost.http import hls
from vidhost.http.deps import ContainerDep
from vidhost.http.downloads import serve_download
from vidhost.http.views import base_url
from vidhost.providers.cloudflare.auth import PREFIX, Account
from vidhost.providers.cloudflare.envelope import CloudflareRoute, success
from vidhost.providers.cloudflare.playback import checked
from vidhost.providers.cloudflare.videos import owned

router = APIRouter(prefix=PREFIX, tags=["cloudflare stream"], route_class=CloudflareRoute)
files = APIRouter(tags=["cloudflare stream playback"])

TYPES = {"default": DEFAULT, "audio": AUDIO_ONLY}
"""Cloudflare's download types -> the shared specs."""
STATUS = {READY: "ready", ERRORED: "error", SKIPPED: "error"}


def _type(download_type: str) -> str:
    if download_type not in TYPES:
        raise NotFound(f"no download type {download_type!r}: default or audio", code="not_found")
    return download_type


def _view(container: Container, base: str, uid: str, record: StaticRendition) -> dict[str, Any]:
    percent = 100.0 if record.status == READY else 0.0
    if record.status not in STATUS and record.rung is not None:
        row = container.videos.task(uid, TaskKind.STATIC_RENDITION, part=rung_part(record.rung))
        percent = row.progress if row is not None else 0.0
    return {
        "status": STATUS.get(record.status, "inprogress"),
        "url": f"{base}/{uid}/downloads/{record.name}",
        "percentComplete": round(min(percent, 100.0), 1),
    }


def _views(container: Container, base: str, uid: str, only: str | None = None) -> dict[str, Any]:
    records = {r.name: r for r in container.static_renditions.of_video(uid)}
    out = {}
    for kind, spec in TYPES.items():
        record = records.get(name_of(spec))
        if record is not None and only in (None, kind):
            out[kind] = _view(container, base, uid, record)
    return out


async def _create(
    uid: str, kind: str, request: Request, user: str, container: Container
) -> Response:
    base = base_url(request)

    def run() -> dict[str, Any]:
        video = owned(container, uid, user)
        container.static_renditions.request(video, TYPES[kind], strict=True)
        return _views(container, base, uid, only=kind)

    return success(await run_in_threadpool(run))


async def _delete(uid: str, kind: str, user: str, container: Container) -> Response:
    def run() -> None:
        owned(container, uid, user)
        statics = container.static_renditions
        statics.remove(uid, statics.find(uid, name=name_of(TYPES[kind])).id)

    await run_in_threadpool(run)
    return success("ok")


@router.post("/{uid}/downloads")
async def create_default(
    uid: str, request: Request, user: Account, container: ContainerDep
) -> Response:
    """The default download: an MP4 of the highest rung, remuxed from the ladder."""
    return await _create(uid, "default", request, user, container)


@router.post("/{uid}/downloads/{download_type}")
async def create_typed(
    uid: str, download_type: str, request: Request, user: Account, container: ContainerDep
) -> Response:
    """``default`` (MP4) or ``audio`` (M4A)."""
    return await _create(uid, _type(download_type), request, user, container)


@router.get("/{uid}/downloads")
async def list_downloads(
    uid: str, request: Request, user: Account, container: ContainerDep
) -> Response:
    base = base_url(request)

    def run() -> dict[str, Any]:
        owned(container, uid, user)
        return _views(container, base, uid)

    return success(await run_in_threadpool(run))


@router.delete("/{uid}/downloads")
async def delete_default(uid: str, user: Account, container: ContainerDep) -> Response:
    return await _delete(uid, "default", user, container)


@router.delete("/{uid}/downloads/{download_type}")
async def delete_typed(
    uid: str, download_type: str, user: Account, container: ContainerDep
) -> Response:
    return await _delete(uid, _type(download_type), user, container)


@files.api_route("/{ref}/downloads/{name}", methods=["GET", "HEAD"])
async def download_file(ref: str, name: str, request: Request, container: ContainerDep) -> Response:
    """``default.mp4`` or ``audio.m4a`` (Range; ``Content-Disposition: attachment``)."""
    if name not in {name_of(spec) for spec in TYPES.values()}:
        raise NotFound("no such download", code="download_not_found")
    video_id, viewer = await checked(request, container, ref)
    video, access = await hls.readable(container, viewer, video_id)
    return await serve_download(request, container, video, access, name)
