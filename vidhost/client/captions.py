"""``vidhost captions generate``: captions generated from a video's speech (ADR 0069), over
the public API (``POST /api/videos/{id}/captions/generate``, then the track until it is
ready or errored). ``--out FILE`` saves the WebVTT."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from vidhost.client.errors import ClientError
from vidhost.client.output import JsonOut, Server, Token, emit, session, stderr

captions_app = typer.Typer(help="Captions (text tracks) of your videos.", no_args_is_help=True)

POLL_SECONDS = 1.0


@captions_app.command("generate")
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
