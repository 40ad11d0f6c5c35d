"""``vidhost download``: an MP4 (or the M4A) of a video, asked for, waited for, and fetched
with resume.

The download is asked for (``POST /api/videos/{id}/downloads``, idempotent) once the video is
ready - a video still processing is followed first - then followed on ``/api/events`` until
it is made (``client.watch``), then streamed to ``PATH.part`` and renamed to ``PATH`` when
whole. An interrupted run leaves ``PATH.part`` and its ``ETag`` (``downloads.json`` in the
state directory); the next run asks for the rest (``Range: bytes=N-`` with ``If-Range``: a
file made again from scratch is sent whole, never spliced). A dropped connection is
retried from the bytes on disk.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Annotated, Any

import httpx
import typer
from rich.progress import Progress

from vidhost.client.api import Api
from vidhost.client.config import ClientSettings, resolve, state_dir
from vidhost.client.errors import ClientError, connection_failed, from_response
from vidhost.client.output import (
    JsonOut,
    Server,
    Token,
    emit,
    fail,
    parse_size,
    progress_bars,
    stderr,
)
from vidhost.client.resume import ResumeStore
from vidhost.client.tus import RETRY_DELAYS, RateLimit
from vidhost.client.watch import follow, follow_download

BLOCK = 256 * 1024
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_UNSAFE = re.compile(r"[^\w.-]+")


def rendition_of(value: str) -> str:
    """``highest``, ``audio`` or ``<height>p``: which heights the video has, the server says."""
    if value in ("highest", "audio") or re.fullmatch(r"[1-9]\d{1,4}p", value):
        return value
    raise typer.BadParameter(f"{value!r} is not highest, audio or a height such as 720p")


def default_name(video: dict[str, Any], name: str) -> str:
    """``{upload name}-{download name}``, as the server's ``Content-Disposition`` names it."""
    filename = video.get("filename")
    stem = PurePath(str(filename)).stem if filename else str(video["id"])
    return f"{_UNSAFE.sub('_', stem).strip('._') or video['id']}-{name}"


def download_store() -> ResumeStore:
    """Partial downloads: ``{part path: {"url", "etag", "videoId", "name"}}``."""
    return ResumeStore(state_dir() / "downloads.json")


@dataclass
class Fetched:
    size: int
    resumed_from: int


def fetch(
    http: httpx.Client,
    url: str,
    part: Path,
    store: ResumeStore,
    *,
    on_progress: Callable[[int, int | None], None],
    limit: RateLimit | None = None,
    retry_delays: tuple[float, ...] = RETRY_DELAYS,
) -> Fetched:
    """Stream ``url`` into ``part``, resuming from its bytes when ``store`` holds the ETag
    they came with; a dropped connection is retried from the bytes on disk."""
    key = str(part.resolve())
    delays = iter(retry_delays)
    first: int | None = None
    while True:
        offset = part.stat().st_size if part.exists() else 0
        entry = store.get(key) or {}
        headers = {}
        if offset and entry.get("url") == url and entry.get("etag"):
            headers = {"Range": f"bytes={offset}-", "If-Range": str(entry["etag"])}
        received = 0
        try:
            with http.stream("GET", url, headers=headers, follow_redirects=True) as r:
                if r.status_code == 416 and _whole(r, offset):
                    return Fetched(offset, offset if first is None else first)
                if (r.status_code == 416 and headers) or (
                    r.status_code == 206 and not _starts_at(r, offset)
                ):  # not the range asked for: start again from nothing
                    part.unlink(missing_ok=True)
                    store.remove(key)
                    continue
                if r.status_code >= 400:
                    r.read()
                    raise from_response(r)
                if r.status_code == 206:
                    total = _total(r)
                    mode = "ab"
                else:  # 200: the whole file (new, or changed since the part was written)
                    offset = 0
                    length = r.headers.get("content-length")
                    total = int(length) if length is not None else None
                    mode = "wb"
                if first is None:
                    first = offset
                store.put(key, url=url, etag=r.headers.get("etag"))
                on_progress(offset, total)
                with part.open(mode) as out:
                    for block in r.iter_bytes(BLOCK):
                        out.write(block)
                        offset += len(block)
                        received += len(block)
                        on_progress(offset, total)
                        if limit is not None:
                            limit.wait(len(block))
            if total is not None and offset != total:
                raise httpx.RemoteProtocolError(f"the body ended at {offset} of {total} bytes")
            return Fetched(offset, first)
        except httpx.TransportError as exc:
            if received:  # bytes came in: the next drop gets the whole series of retries
                delays = iter(retry_delays)
            delay = next(delays, None)
            if delay is None:
                raise connection_failed(str(httpx.URL(url).copy_with(query=None)), exc) from None
            time.sleep(delay)


def _total(response: httpx.Response) -> int | None:
    size = response.headers.get("content-range", "").rpartition("/")[2]
    return int(size) if size.isdigit() else None


def _starts_at(response: httpx.Response, offset: int) -> bool:
    content_range = str(response.headers.get("content-range", ""))
    return content_range.startswith(f"bytes {offset}-")


def _whole(response: httpx.Response, offset: int) -> bool:
    """A 416 for ``bytes=N-`` where the file has exactly N bytes: the part is complete."""
    return _total(response) == offset


def download(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    rendition: Annotated[
        str,
        typer.Option(
            "--rendition",
            "-r",
            help="highest (MP4 of the top rendition), a height such as 720p, or audio (M4A).",
            parser=rendition_of,
        ),
    ] = "highest",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File or directory to write (default: {upload name}-{download} here).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    limit_rate: Annotated[
        str | None, typer.Option(help="At most this many bytes per second, e.g. 2M.")
    ] = None,
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """Download an MP4 or the M4A of a video: asked for if needed, waited for, resumable."""
    rate = parse_size(limit_rate) if limit_rate else None
    settings = resolve(server, token)
    api = Api(settings)
    store = download_store()
    progress = progress_bars(disable=as_json)
    try:
        with progress:
            record, video = _prepared(api, settings, progress, video_id, rendition)
            path = _target(output, default_name(video, record["name"]))
            if path.exists() and not force:
                raise ClientError("file_exists", f"{path} exists (--force overwrites it)")
            part = path.with_name(path.name + ".part")
            bar = progress.add_task(path.name, total=record.get("bytes"))

            def on_progress(done: int, total: int | None) -> None:
                progress.update(bar, completed=done, total=total)

            got = fetch(
                api.http,
                str(record["url"]),
                part,
                store,
                on_progress=on_progress,
                limit=RateLimit(rate) if rate else None,
            )
            part.replace(path)
            store.remove(str(part.resolve()))
    except ClientError as exc:
        fail(exc, as_json)
    except KeyboardInterrupt:
        stderr.print("interrupted: run the same command again to resume the download")
        raise typer.Exit(130) from None
    finally:
        api.close()
    result = {
        "videoId": video_id,
        "name": record["name"],
        "path": str(path),
        "bytes": got.size,
        "resumedFrom": got.resumed_from,
    }
    if as_json:
        emit(result)
    else:
        if got.resumed_from:
            stderr.print(f"resumed at byte {got.resumed_from}")
        typer.echo(str(path))


def _prepared(
    api: Api, settings: ClientSettings, progress: Progress, video_id: str, rendition: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ready download record, and the video: the video followed until it is ready, the
    download asked for, then followed until it is made."""
    video = api.video(video_id)
    if video["state"] not in ("ready", "failed"):
        bar = progress.add_task(f"processing {video_id}", total=100, processing=True, state="")

        def on_status(event: dict[str, Any]) -> None:
            state = str(event.get("state", "")).lower()
            progress.update(bar, completed=float(event.get("progress") or 0.0), state=state)

        follow(settings, video_id, on_status, api=api)
        video = api.video(video_id)
    if video["state"] != "ready":
        error = video.get("error") or {}
        raise ClientError(
            str(error.get("code") or "not_ready"),
            f"the video is {video['state']}: {error.get('message') or 'no download'}",
        )
    record = api.request_download(video_id, rendition)
    if record["status"] == "preparing":
        bar = progress.add_task(
            f"preparing {record['name']}", total=100, processing=True, state="preparing"
        )

        def on_task(message: dict[str, Any]) -> None:
            progress.update(bar, completed=float(message.get("progress") or 0.0))

        record = follow_download(settings, api, video_id, str(record["name"]), on_task)
        progress.update(bar, completed=100, state=str(record["status"]))
    if record["status"] != "ready":
        raise ClientError(
            "download_not_ready", f"{record['name']} is {record['status']}: it cannot be fetched"
        )
    return record, video


def _target(output: Path | None, name: str) -> Path:
    if output is None:
        return Path.cwd() / name
    if output.is_dir():
        return output / name
    return output
