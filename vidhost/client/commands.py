"""Client commands of ``vidhost``: upload, ls, status, rm, open, login, logout (and
``download``, in ``vidhost.client.download``; ``captions``, in ``vidhost.client.captions``).

They talk to a vidhost server over its public HTTP API only (``vidhost.client``). Progress
and messages go to stderr, results to stdout; ``--json`` makes stdout one JSON document.
Exit codes: 0 success (with ``--wait``: every video ready), 1 a failure (its code is
printed), 2 a usage error, 130 interrupted (run the same upload again to resume).
"""

from __future__ import annotations

import mimetypes
import sys
import webbrowser
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

from vidhost.client.api import Api
from vidhost.client.captions import app as captions_app
from vidhost.client.config import ClientSettings, config_path, read_json, resolve, save_login
from vidhost.client.download import download
from vidhost.client.errors import ClientError
from vidhost.client.output import (
    JsonOut,
    Server,
    Token,
    emit,
    parse_size,
    progress_bars,
    session,
    stderr,
    stdout,
)
from vidhost.client.resume import ResumeStore
from vidhost.client.tus import DEFAULT_CHUNK, TusUploader
from vidhost.client.watch import follow


class Visibility(StrEnum):
    public = "public"
    unlisted = "unlisted"
    private = "private"


STATES = ["created", "uploading", "uploaded", "processing", "ready", "failed"]


def upload(
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, readable=True, help="Video files."),
    ],
    title: Annotated[str | None, typer.Option(help="Title (default: the file name).")] = None,
    description: Annotated[str, typer.Option(help="Description.")] = "",
    tags: Annotated[
        list[str] | None, typer.Option("--tags", "--tag", help="Tags (comma-separated).")
    ] = None,
    visibility: Annotated[Visibility, typer.Option(help="Who may play it.")] = Visibility.public,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow processing; print the playback URL.")
    ] = False,
    chunk_size: Annotated[
        str, typer.Option(help="Bytes per PATCH request, e.g. 256K or 8M.")
    ] = f"{DEFAULT_CHUNK // 1024**2}M",
    limit_rate: Annotated[
        str | None, typer.Option(help="At most this many bytes per second, e.g. 2M.")
    ] = None,
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """Upload FILE... over tus (resumable: run it again after an interruption to resume)."""
    chunk = parse_size(chunk_size)
    rate = parse_size(limit_rate) if limit_rate else None
    tag_list = [t.strip() for value in tags or [] for t in value.split(",") if t.strip()]
    settings = resolve(server, token)
    api = Api(settings)
    store = ResumeStore()
    uploader = TusUploader(settings, store=store, chunk_size=chunk, limit_rate=rate)
    results: list[dict[str, Any]] = []
    progress = progress_bars(disable=as_json)
    waiting = False
    try:
        with progress:
            bars = {
                f: progress.add_task(f.name, total=f.stat().st_size, start=False) for f in files
            }
            for f in files:
                metadata = {
                    "title": title or f.stem or f.name,
                    "description": description,
                    "tags": tag_list,
                    "visibility": visibility.value,
                }
                result = _upload_one(api, uploader, store, progress, bars[f], f, metadata)
                results.append(result)
            if wait:
                waiting = True
                for result in results:
                    if "error" not in result:
                        _wait_one(api, settings, progress, result)
    except KeyboardInterrupt:
        if waiting:
            ids = " ".join(str(r["videoId"]) for r in results if "videoId" in r)
            stderr.print(f"interrupted; uploads are complete: follow with `vidhost status {ids}`")
        else:
            stderr.print("interrupted: run the same command again to resume the upload")
        raise typer.Exit(130) from None
    finally:
        uploader.close()
        api.close()
    failed = [r for r in results if "error" in r]
    if as_json:
        emit(results)
    else:
        for r in results:
            _print_result(r)
    raise typer.Exit(1 if failed else 0)


def _upload_one(
    api: Api,
    uploader: TusUploader,
    store: ResumeStore,
    progress: Progress,
    bar: TaskID,
    path: Path,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    result: dict[str, Any] = {"file": str(path)}
    key: str | None = None
    try:
        if path.stat().st_size == 0:
            raise ClientError("empty_file", "the file is empty")
        filetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        up, key = uploader.open(path, {"filename": path.name, "filetype": filetype})
        result.update(videoId=up.video_id, size=up.size, resumedFrom=up.started_at)
        entry = store.get(key) or {}
        if not entry.get("prepared"):
            # Before any byte: a private video is never processed as a public one.
            api.set_metadata(up.video_id, metadata)
            store.update(key, prepared=True)
        if up.resumed:
            progress.console.print(f"resuming {escape(path.name)} at byte {up.started_at}")
        progress.start_task(bar)
        uploader.send(up, path, on_progress=lambda n: progress.update(bar, completed=n))
        store.remove(key)
        status = api.status(up.video_id)
    except ClientError as exc:
        # A stored URL means the bytes sent so far are kept: running again resumes.
        resumable = key is not None and store.get(key) is not None
        result["state"] = "interrupted" if resumable else "failed"
        result["error"] = exc.as_dict()
        return result
    result["state"] = status["state"]
    if status["state"] == "failed":
        result["error"] = status.get("error") or {"code": "failed", "message": "upload refused"}
    return result


def _wait_one(
    api: Api, settings: ClientSettings, progress: Progress, result: dict[str, Any]
) -> None:
    video_id = str(result["videoId"])
    bar = progress.add_task(
        f"processing {Path(result['file']).name}", total=100, processing=True, state=""
    )

    def on_event(event: dict[str, Any]) -> None:
        state = str(event.get("state", "")).lower()
        progress.update(bar, completed=float(event.get("progress") or 0.0), state=state)

    try:
        follow(settings, video_id, on_event, api=api)
        details = api.video(video_id)
        result["state"] = details["state"]
        if details["state"] == "ready":  # plays now; the bar: the share of the ladder stored
            progress.update(bar, completed=float(details.get("progress") or 0.0), state="ready")
            result["playbackUrl"] = api.playback_url(details)
            result["pageUrl"] = api.page_url(video_id)
        else:
            result["error"] = details.get("error") or {"code": "failed", "message": "failed"}
    except ClientError as exc:
        result["state"] = result.get("state", "failed")
        result["error"] = exc.as_dict()


def _print_result(r: dict[str, Any]) -> None:
    name = Path(r["file"]).name
    if "error" in r:
        error = r["error"] or {}
        stderr.print(
            f"[red]{escape(name)}[/]: {r.get('state', 'failed')}: "
            f"{escape(str(error.get('code')))}: {escape(str(error.get('message')))}"
        )
        if r.get("state") == "interrupted":
            stderr.print("run the same command again to resume the upload")
        return
    line = f"{name}: {r['videoId']} {r['state']}"
    if r.get("playbackUrl"):
        line += f" {r['playbackUrl']}"
    sys.stdout.write(line + "\n")


def ls(
    state: Annotated[
        list[str] | None,
        typer.Option("--state", help=f"Only these states ({', '.join(STATES)}); repeatable."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """List your videos, newest first."""
    wanted = [s.strip() for value in state or [] for s in value.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STATES]
    if unknown:
        raise typer.BadParameter(f"unknown state(s) {', '.join(unknown)}", param_hint="--state")
    with session(server, token, as_json) as api:
        videos = api.videos(wanted, limit=limit)
    if as_json:
        emit(videos)
        return
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("ID", no_wrap=True)
    table.add_column("TITLE", overflow="ellipsis", max_width=40)
    for column in ("STATE", "PROGRESS", "DURATION", "SIZE", "VISIBILITY", "CREATED"):
        table.add_column(column, no_wrap=True)
    for v in videos:
        res = v.get("resolution") or {}
        table.add_row(
            v["id"],
            escape(str(v.get("title") or v.get("filename") or "")),
            _state(v),
            f"{v.get('progress', 0):.0f}%",
            _duration(v.get("duration")),
            f"{res.get('width')}x{res.get('height')}" if res else "",
            str(v.get("visibility") or ""),
            str(v.get("createdAt") or "")[:19].replace("T", " "),
        )
    stdout.print(table)
    if not videos:
        stderr.print("no videos")


def _state(v: dict[str, Any]) -> str:
    colour = {"ready": "green", "failed": "red", "processing": "yellow"}.get(str(v["state"]))
    text = str(v["state"])
    if v.get("error"):
        text += f" ({v['error'].get('code')})"
    return f"[{colour}]{escape(text)}[/]" if colour else escape(text)


def _duration(seconds: Any) -> str:
    if seconds is None:
        return ""
    s = round(float(seconds))
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def status(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """Show one video: state, progress, renditions, tasks, error."""
    with session(server, token, as_json) as api:
        v = api.video(video_id)
    if as_json:
        emit(v)
        return
    table = Table(show_header=False, show_edge=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    res = v.get("resolution") or {}
    rows: list[tuple[str, str]] = [
        ("id", v["id"]),
        ("title", escape(str(v.get("title") or ""))),
        ("state", _state(v)),
        ("progress", f"{v.get('progress', 0):.1f}%"),
        ("visibility", str(v.get("visibility"))),
        ("duration", _duration(v.get("duration"))),
        ("resolution", f"{res.get('width')}x{res.get('height')}" if res else ""),
        ("renditions", ", ".join(r["name"] for r in v.get("renditions") or [])),
        ("size", str(v.get("sizeBytes") or "")),
        ("playback", str(v.get("playbackUrl") or "")),
    ]
    if v.get("error"):
        rows.append(("error", escape(f"{v['error'].get('code')}: {v['error'].get('message')}")))
    for task in v.get("tasks") or []:
        line = f"{task.get('status')} {float(task.get('progress') or 0):.0f}%"
        if task.get("errorCode"):
            line += f" ({task['errorCode']})"
        rows.append((f"task {task.get('type')}", escape(line)))
    for key, value in rows:
        table.add_row(key, value)
    stdout.print(table)


def rm(
    video_ids: Annotated[list[str], typer.Argument(help="Video ids.")],
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """Delete videos and everything they own."""
    with session(server, token, as_json) as api:
        for video_id in video_ids:
            api.delete(video_id)
            if not as_json:
                sys.stdout.write(f"deleted {video_id}\n")
    if as_json:
        emit({"deleted": video_ids})


def open_(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the page URL instead of opening it.")
    ] = False,
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """Open the video's page of the web app in a browser."""
    with session(server, token, as_json) as api:
        api.video(video_id)  # a clear error for an unknown id, rather than a 404 page
        url = api.page_url(video_id)
    if as_json:
        emit({"videoId": video_id, "url": url})
    elif print_only or not webbrowser.open(url):
        sys.stdout.write(url + "\n")


def login(
    server: Server = None,
    token: Token = None,
    verify: Annotated[bool, typer.Option(help="Check the token against the server.")] = True,
    as_json: JsonOut = False,
) -> None:
    """Store the server URL and token in your config file (mode 0600)."""
    if token is None and sys.stdin.isatty():
        token = typer.prompt("Token (empty for a server without auth)", default="", hide_input=True)
    settings = resolve(server, token or None)
    if verify:
        with session(settings.server, settings.token, as_json) as api:
            api.videos(limit=1)
    path = save_login(settings.server, token or None)
    if as_json:
        emit({"server": settings.server, "config": str(path)})
    else:
        stderr.print(f"logged in to {escape(settings.server)}; saved {escape(str(path))}")


def logout(as_json: JsonOut = False) -> None:
    """Forget the stored token (the server URL stays)."""
    path = config_path()
    stored = read_json(path)
    if stored.pop("token", None) is not None:
        save_login(str(stored.get("server") or resolve().server), None)
    if as_json:
        emit({"config": str(path)})
    else:
        stderr.print("logged out")


COMMANDS: list[tuple[str, Callable[..., None]]] = [
    ("upload", upload),
    ("ls", ls),
    ("status", status),
    ("rm", rm),
    ("open", open_),
    ("download", download),
    ("login", login),
    ("logout", logout),
]


def register(app: typer.Typer) -> None:
    """Add the client commands to the ``vidhost`` command."""
    for name, command in COMMANDS:
        app.command(name, rich_help_panel="Client")(command)
    app.add_typer(captions_app, name="captions", rich_help_panel="Client")
