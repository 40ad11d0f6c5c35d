"""HLS delivery for every surface: playlists and media segments, one path (ADR 0064).

The native ``/stream/{id}/...`` routes, Mux's ``/{playback_id}.m3u8`` and
``/{playback_id}/hls/...`` and Cloudflare's ``/{uid}/manifest/...`` only turn their ids and
tokens into ``(video, access)`` (each in its own order and error envelope) and call this
module, which owns everything after that:

- the name check (``layout.media_kind``: a media segment, an init segment, or a 404);
- the content type, from the name's extension (``content_type``);
- the wait for a segment that is planned but not stored yet (``SegmentWaiters``, ADR 0064),
  and for a rendition's init segment, stored with its first segment;
- the token carrier (``reads.carry_token``) and Mux's relative-prefix rewrite of playlists;
- the cache headers (``reads.cache_headers`` with ``SEGMENT_CACHE``/``PLAYLIST_CACHE``);
- the S3 redirect mode (``VIDHOST_S3_STREAM_MODE=redirect``): one pre-signed 302;
- text tracks (ADR 0068): their playlists are stored like the others (``subs-{track}.m3u8``,
  named by the stored master), their WebVTT segments are cut from the track's file
  (``Captions.media``).
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Access, Audience, Viewer
from vidhost.core.errors import NotReady
from vidhost.core.layout import MASTER, hls_prefix, media_kind, playlist_name
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video
from vidhost.core.ports import ObjectInfo
from vidhost.http.errors import ApiError
from vidhost.http.ranges import object_response
from vidhost.http.reads import (
    PLAYLIST_CACHE,
    PRIVATE_CACHE,
    PRIVATE_SEGMENT_CACHE,
    SEGMENT_CACHE,
    VARY,
    authorize_read,
    cache_headers,
    carry_token,
    carry_token_dash,
    find_video,
)

HLS = "application/vnd.apple.mpegurl"
CONTENT_TYPES = {
    "ts": "video/MP2T",
    "m4s": "video/iso.segment",
    "mp4": "video/mp4",
    "m3u8": HLS,
    "mpd": "application/dash+xml",
    "vtt": "text/vtt; charset=utf-8",
}
"""A delivered name's extension -> its ``Content-Type`` (MPEG-TS and CMAF alike)."""
_RENDITION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_URI_LINE = re.compile(r"^(?!#)(\S+)$", re.MULTILINE)
_URI_ATTR = re.compile(r'URI="(?![a-z]+://|/)([^"]*)"')


def content_type(name: str) -> str:
    """The media type of a name under ``hls/``, by its extension."""
    return CONTENT_TYPES.get(name.rpartition(".")[2].lower(), "application/octet-stream")


def ready(video: Video, what: str = "video") -> Video:
    """The video, if it can be played (409 ``not_ready`` otherwise)."""
    if video.state is not VideoState.READY or video.manifest_key is None:
        raise NotReady(f"the {what} is {video.state.value}, not ready for playback")
    return video


async def readable(
    container: Container, viewer: Viewer, video_id: str, audience: Audience = Audience.VIDEO
) -> tuple[Video, Access]:
    """The ready video and what the viewer may do with it (409 before 403, as always)."""

    def locate() -> tuple[Video, Access]:
        video = ready(find_video(container, video_id))
        return video, authorize_read(container, video, viewer, audience)

    return await run_in_threadpool(locate)


def variant_name(rendition: str) -> str:
    """``{rendition}.m3u8`` for a rendition name of the right shape; 404 otherwise."""
    if not _RENDITION.match(rendition) or rendition == MASTER.removesuffix(".m3u8"):
        raise ApiError(404, "not_found", "unknown rendition")
    return playlist_name(rendition)


def check_media_name(name: str) -> str:
    """``name`` if vidhost writes media by that name (``layout.media_kind``); 404 otherwise.
    Routes call it before resolving the video, so a bad name costs no lookup."""
    if media_kind(name) is None or not _RENDITION.match(name.rpartition(".")[0]):
        raise ApiError(404, "segment_not_found", "unknown segment")
    return name


def prefix_uris(playlist: str, prefix: str) -> str:
    """Prefix every relative URI of a playlist (Mux's master names ``{pid}/hls/...``)."""
    text = _URI_LINE.sub(lambda m: prefix + m.group(1), playlist)
    return _URI_ATTR.sub(lambda m: f'URI="{prefix}{m.group(1)}"', text)


async def serve_object(
    request: Request,
    container: Container,
    info: ObjectInfo,
    access: Access,
    *,
    media_type: str,
    cache: str,
    private_cache: str = PRIVATE_CACHE,
    redirectable: bool = True,
    extra_headers: dict[str, str] | None = None,
) -> Response:
    """A stored object: the pre-signed redirect in S3 redirect mode, else proxied (Range,
    ETag, Last-Modified, 304/206/416). ``extra_headers`` (a download's
    ``Content-Disposition``) go on the proxied answer; a ``Content-Disposition`` among them
    is signed into the redirect (with ``media_type``), so S3 answers with it."""
    downloads = container.downloads
    if redirectable and downloads is not None and container.settings.s3_stream_mode == "redirect":
        ttl = container.settings.s3_redirect_ttl
        disposition = (extra_headers or {}).get("Content-Disposition")
        url = await run_in_threadpool(
            lambda: downloads.presign_get(
                info.key,
                expires_in=ttl,
                content_type=media_type if disposition else None,
                content_disposition=disposition,
            )
        )
        return RedirectResponse(
            url, status_code=302, headers={"Cache-Control": "no-store", "Vary": VARY}
        )
    headers = cache_headers(access, cache, private_cache)
    return object_response(
        request,
        container.storage,
        info,
        media_type=media_type,
        cache_control=headers["Cache-Control"],
        vary=VARY,
        extra_headers=extra_headers,
    )


def _stat(container: Container, key: str) -> ObjectInfo | None:
    try:
        return container.storage.stat(key)
    except FileNotFoundError:
        return None


async def playlist(
    request: Request,
    container: Container,
    video: Video,
    access: Access,
    name: str,
    *,
    token: str | None = None,
    prefix: str = "",
) -> Response:
    """A playlist of a ready video (``master.m3u8``, ``{rendition}.m3u8``, or the DASH
    manifest ``manifest.mpd``). ``token``: a playback token to carry into every URI it names
    (when it is what opened the video); ``prefix``: put before every relative URI (HLS)."""
    key = hls_prefix(video.id) + name
    info = await run_in_threadpool(_stat, container, key)
    if info is None:
        raise ApiError(404, "not_found", f"{name} not found")
    carry = token if access.by_token else None
    media_type = content_type(name)
    if carry is None and not prefix:
        return await serve_object(
            request, container, info, access, media_type=media_type, cache=PLAYLIST_CACHE,
            redirectable=False,
        )  # fmt: skip
    text = (await run_in_threadpool(container.storage.get_bytes, key)).decode()
    if prefix:
        text = prefix_uris(text, prefix)
    if carry is not None:
        text = (carry_token_dash if name.endswith(".mpd") else carry_token)(text, carry)
    return Response(text, media_type=media_type, headers=cache_headers(access, PLAYLIST_CACHE))


async def media(
    request: Request, container: Container, video: Video, access: Access, name: str
) -> Response:
    """A media segment (or init segment) of a ready video. A planned segment not stored yet
    is held until it is (its chunk encoded next, ADR 0064): 200 then, never a 404; 503 with
    ``Retry-After`` past ``VIDHOST_SEGMENT_WAIT_SECONDS``; 409/404 if the video fails or is
    deleted meanwhile."""
    check_media_name(name)
    if media_kind(name) == "text":  # a text track's WebVTT, cut from its file (ADR 0068)
        text = await run_in_threadpool(container.captions.media, video.id, name)
        headers = cache_headers(access, SEGMENT_CACHE, PRIVATE_SEGMENT_CACHE)
        return Response(text, media_type=content_type(name), headers=headers)
    key = hls_prefix(video.id) + name
    info = await run_in_threadpool(_stat, container, key)
    if info is None:  # a segment, or an init segment (stored with its first segment)
        info = await container.segment_waiters.wait(video.id, name, key)
    return await serve_object(
        request,
        container,
        info,
        access,
        media_type=content_type(name),
        cache=SEGMENT_CACHE,
        private_cache=PRIVATE_SEGMENT_CACHE,
    )
