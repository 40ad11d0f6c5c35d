"""Captions in Cloudflare Stream's shape, on vidhost's one captions service (ADR 0068).

- ``PUT .../stream/{uid}/captions/{language}`` (multipart ``file``, WebVTT or SRT): one
  track per language, as at Cloudflare: a new file replaces the language's track;
- ``GET .../stream/{uid}/captions``: ``[{language, label, generated, status}]``;
- ``GET/DELETE .../stream/{uid}/captions/{language}``;
- ``GET .../stream/{uid}/captions/{language}/vtt``: the WebVTT itself.

``status``: ``ready``, ``inprogress`` (a generated track being made) or ``error``. The
tracks join the video's HLS master playlist and DASH manifest like every other track.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Audience
from vidhost.core.text_tracks import ERRORED, READY, TextTrack, language_tag, track_not_found
from vidhost.http.body_limit import StreamedBody
from vidhost.http.captions import read_caption_form, serve_vtt
from vidhost.http.deps import ContainerDep, viewer_of
from vidhost.http.reads import authorize_read
from vidhost.providers.cloudflare.auth import PREFIX, Account
from vidhost.providers.cloudflare.envelope import CloudflareRoute, success
from vidhost.providers.cloudflare.videos import owned

router = APIRouter(prefix=PREFIX, tags=["cloudflare stream"], route_class=CloudflareRoute)

STATUS = {READY: "ready", ERRORED: "error"}
LABELS = {
    "ar": "العربية",
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "hi": "हिन्दी",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "ru": "Русский",
    "tr": "Türkçe",
    "uk": "Українська",
    "zh": "中文",
}
"""Cloudflare labels a track with its language's own name."""


def label_of(language: str) -> str:
    return LABELS.get(language.split("-")[0], language)


def caption_view(track: TextTrack) -> dict[str, Any]:
    return {
        "language": track.language,
        "label": track.name,
        "generated": track.generated,
        "status": STATUS.get(track.status, "inprogress"),
    }


def _of_language(container: Container, uid: str, language: str) -> TextTrack:
    track = container.captions.by_language(uid, language)
    if track is None:
        raise track_not_found()
    return track


@router.put("/{uid}/captions/{language}", dependencies=[StreamedBody])
async def upload_caption(
    uid: str, language: str, request: Request, user: Account, container: ContainerDep
) -> Response:
    """Upload the language's WebVTT (or SRT); an earlier track of the language is replaced."""
    tag = language_tag(language)
    await run_in_threadpool(owned, container, uid, user)
    data, _ = await read_caption_form(request, container)

    def run() -> dict[str, Any]:
        video = owned(container, uid, user)
        captions = container.captions
        before = [t for t in captions.of_video(uid) if t.language == tag]
        track = captions.add_uploaded(video, data, language=tag, name=label_of(tag))
        for old in before:
            captions.delete(video, old.id)
        return caption_view(track)

    return success(await run_in_threadpool(run))


@router.get("/{uid}/captions")
async def list_captions(uid: str, user: Account, container: ContainerDep) -> Response:
    def run() -> list[dict[str, Any]]:
        owned(container, uid, user)
        return [caption_view(t) for t in container.captions.of_video(uid)]

    return success(await run_in_threadpool(run))


@router.get("/{uid}/captions/{language}")
async def get_caption(uid: str, language: str, user: Account, container: ContainerDep) -> Response:
    def run() -> dict[str, Any]:
        owned(container, uid, user)
        return caption_view(_of_language(container, uid, language))

    return success(await run_in_threadpool(run))


@router.delete("/{uid}/captions/{language}")
async def delete_caption(
    uid: str, language: str, user: Account, container: ContainerDep
) -> Response:
    def run() -> None:
        video = owned(container, uid, user)
        captions = container.captions
        tag = _of_language(container, uid, language).language
        for track in [t for t in captions.of_video(uid) if t.language == tag]:
            captions.delete(video, track.id)

    await run_in_threadpool(run)
    return success("")


@router.get("/{uid}/captions/{language}/vtt")
async def caption_vtt(
    uid: str, language: str, request: Request, user: Account, container: ContainerDep
) -> Response:
    """The language's WebVTT file (``text/vtt``)."""

    def run() -> tuple[str, Any]:
        video = owned(container, uid, user)
        access = authorize_read(container, video, viewer_of(request), Audience.VIDEO)
        return _of_language(container, uid, language).id, access

    track_id, access = await run_in_threadpool(run)
    return await serve_vtt(request, container, uid, track_id, access)
