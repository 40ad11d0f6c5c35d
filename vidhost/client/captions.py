"""``vidhost captions add|ls|rm|generate``: a video's text tracks over the public API
(ADR 0068, ADR 0069).

``add`` uploads a WebVTT or SRT file (checked and sanitized by the server: a bad file exits
1 with its code, ``invalid_caption``, ``unsupported_caption_format`` or
``caption_too_large``); ``ls`` lists the tracks with their WebVTT URLs; ``rm`` deletes one;
``generate`` asks for captions generated from the speech (``POST .../captions/generate``),
waits for the track (exit 1 with its code, e.g. ``no_speech``) and saves it with ``--out``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from vidhost.client.errors import ClientError
from vidhost.client.output import JsonOut, Server, Token, emit, session, stderr, stdout

app = typer.Typer(help="A video's captions and subtitles (text tracks).", no_args_is_help=True)


@app.command("add")
def add(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="WebVTT or SRT.")
    ],
    language: Annotated[str, typer.Option("--language", "-l", help="BCP 47 tag (en, pt-BR).")],
    name: Annotated[str | None, typer.Option(help="Name shown in players.")] = None,
    closed_captions: Annotated[
        bool, typer.Option("--cc", help="Closed captions (sounds described), not subtitles.")
    ] = False,
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """Add a text track from a WebVTT or SRT file."""
    with session(server, token, as_json) as api:
        track = api.add_caption(
            video_id, file, language=language, name=name, closed_captions=closed_captions
        )
    if as_json:
        emit(track)
        return
    sys.stdout.write(f"{track['id']} {track['language']} {track['status']} {track['url']}\n")


@app.command("ls")
def ls(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """List a video's text tracks."""
    with session(server, token, as_json) as api:
        tracks = api.captions(video_id)
    if as_json:
        emit(tracks)
        return
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column in ("ID", "LANGUAGE", "NAME", "KIND", "STATUS", "URL"):
        table.add_column(column, no_wrap=column != "NAME")
    for t in tracks:
        kind = "captions" if t.get("closedCaptions") else "subtitles"
        if t.get("generated"):
            kind += " (generated)"
        table.add_row(
            t["id"], t["language"], escape(str(t["name"])), kind, t["status"], str(t["url"])
        )
    stdout.print(table)
    if not tracks:
        stderr.print("no text tracks")


@app.command("rm")
def rm(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    track_ids: Annotated[list[str], typer.Argument(help="Track ids.")],
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """Delete text tracks."""
    with session(server, token, as_json) as api:
        for track_id in track_ids:
            api.delete_caption(video_id, track_id)
            if not as_json:
                sys.stdout.write(f"deleted {track_id}\n")
    if as_json:
        emit({"deleted": track_ids})


POLL_SECONDS = 1.0


@app.command("generate")
def generate(
    video_id: Annotated[str, typer.Argument(help="The video's id.")],
    language: Annotated[
        str, typer.Option(help="A language the recognizer knows (en, fr, ...) or auto.")
    ] = "en",
    name: Annotated[str | None, typer.Option(help="Display name (default: the language).")] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until the track is ready.")
    ] = True,
    out: Annotated[
        Path | None, typer.Option(help="Save the WebVTT here once ready (implies --wait).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait at most.")] = 3600.0,
    server: Server = None,
    token: Token = None,
    as_json: JsonOut = False,
) -> None:
    """Generate captions from the video's speech (once per language; offline recognizer)."""
    with session(server, token, as_json) as api:
        body: dict[str, Any] = {"language": language}
        if name:
            body["name"] = name
        track = api.json("POST", f"/api/videos/{video_id}/captions/generate", json=body)
        if not as_json:
            stderr.print(f"track {escape(track['id'])}: {escape(track['status'])}")
        deadline = time.monotonic() + timeout
        while (wait or out) and track["status"] == "preparing":
            if time.monotonic() > deadline:
                raise ClientError("timeout", f"the track was still preparing after {timeout:g} s")
            time.sleep(POLL_SECONDS)
            track = api.json("GET", f"/api/videos/{video_id}/captions/{track['id']}")
        if track["status"] == "errored":
            raise ClientError(
                str(track.get("errorCode") or "failed"), "captions could not be generated"
            )
        if out is not None:
            out.write_bytes(
                api.request("GET", f"/api/videos/{video_id}/captions/{track['id']}.vtt").content
            )
    if as_json:
        emit(track)
    else:
        detected = track.get("detectedLanguage")
        note = f" (heard {detected})" if detected else ""
        sys.stdout.write(f"{track['id']} {track['language']} {track['status']}{note}\n")
