"""What every surface's caption routes share (ADR 0068): the multipart caption upload
(field ``file``, capped at ``MAX_CAPTION_BYTES``: 413 ``caption_too_large``, nothing kept),
the boolean form fields, the native view of a track, and serving a track's whole WebVTT file."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vidhost.app.container import Container
from vidhost.core.access import Access
from vidhost.core.errors import InvalidInput
from vidhost.core.webvtt import MAX_CAPTION_BYTES
from vidhost.http.errors import ApiError
from vidhost.http.hls import serve_object
from vidhost.http.multipart import read_form
from vidhost.http.reads import PLAYLIST_CACHE
from vidhost.http.views import CaptionOut, caption_out

VTT = "text/vtt; charset=utf-8"
__all__ = ["VTT", "CaptionOut", "caption_out", "form_bool", "read_caption_form", "serve_vtt"]


async def read_caption_form(request: Request, container: Container) -> tuple[bytes, dict[str, str]]:
    """The caption file's bytes and the other form fields."""
    try:
        form = await read_form(
            request,
            file_field="file",
            tmp_dir=container.settings.tmp_dir,
            max_bytes=MAX_CAPTION_BYTES,
            unnamed_file=True,
        )
    except ApiError as exc:
        if exc.code == "file_too_large":
            raise ApiError(
                413, "caption_too_large", f"the caption file is over {MAX_CAPTION_BYTES} bytes"
            ) from None
        if exc.code == "no_file":
            raise ApiError(
                400, "no_file", "send the caption as multipart/form-data field 'file'"
            ) from None
        raise
    try:
        if form.file is None:
            raise InvalidInput(
                "send the caption as multipart/form-data field 'file'", code="no_file"
            )
        data = form.file.path.read_bytes()
    finally:
        form.discard()
    return data, form.fields


def form_bool(value: str | None, field: str) -> bool:
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``, ``on``/``off``); absent: false."""
    text = (value or "").strip().lower()
    if text in ("", "false", "0", "no", "off"):
        return False
    if text in ("true", "1", "yes", "on"):
        return True
    raise InvalidInput(f"{field} must be true or false", code="invalid_request")


async def serve_vtt(
    request: Request, container: Container, video_id: str, track_id: str, access: Access
) -> Response:
    """A ready track's whole WebVTT (Range, ETag; pre-signed in S3 redirect mode)."""
    info = await run_in_threadpool(container.captions.vtt_file, video_id, track_id)
    return await serve_object(
        request, container, info, access, media_type=VTT, cache=PLAYLIST_CACHE
    )
