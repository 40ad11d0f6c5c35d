"""What the client commands share: the consoles, the common options, JSON output, failing
with a code, and the progress bars (bytes for a transfer, a percentage while the server
works)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich import filesize
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    Task,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from vidhost.client.api import Api
from vidhost.client.config import resolve
from vidhost.client.errors import ClientError

stderr = Console(stderr=True)
# Piped output is not cut at 80 columns: ids and URLs stay whole for other tools.
stdout = Console(width=None if sys.stdout.isatty() else 200)

Server = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="VIDHOST_SERVER",
        help="Server URL (default: from `vidhost login`, else http://127.0.0.1:8000).",
        show_default=False,
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="VIDHOST_TOKEN",
        help="Bearer token (default: from `vidhost login`).",
        show_default=False,
    ),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Quiet; one JSON document on stdout.")]


def emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def fail(exc: ClientError, as_json: bool) -> NoReturn:
    stderr.print(f"[red]error[/]: {escape(exc.code)}: {escape(exc.message)}")
    if as_json:
        emit({"error": exc.as_dict()})
    raise typer.Exit(1)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)


def parse_size(value: str) -> int:
    """``262144``, ``256K``, ``8M``, ``1G`` (powers of 1024) -> bytes."""
    match = _SIZE.match(value)
    if not match or float(match.group(1)) <= 0:
        raise typer.BadParameter(f"{value!r} is not a size such as 256K, 8M or 1G")
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return max(1, int(float(match.group(1)) * scale))


@contextmanager
def session(server: str | None, token: str | None, as_json: bool) -> Iterator[Api]:
    api = Api(resolve(server, token))
    try:
        yield api
    except ClientError as exc:
        fail(exc, as_json)
    finally:
        api.close()


BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]


class _Amount(DownloadColumn):
    """Bytes for a transfer bar, a percentage for a processing bar."""

    def render(self, task: Task) -> Text:
        if task.fields.get("processing"):
            return Text(f"{task.percentage:.0f}%", style="progress.percentage")
        return super().render(task)


class _Speed(TransferSpeedColumn):
    """Bytes per second in binary units, as every size vidhost writes (``500 MiB``)."""

    def render(self, task: Task) -> Text:
        if task.fields.get("processing"):
            return Text(str(task.fields.get("state", "")), style="progress.data.speed")
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("?", style="progress.data.speed")
        unit, suffix = filesize.pick_unit_and_suffix(int(speed), BINARY, 1024)
        return Text(f"{speed / unit:.1f} {suffix}/s", style="progress.data.speed")


def progress_bars(*, disable: bool) -> Progress:
    """Bars on stderr: add a task with ``processing=True, state=...`` for server-side work
    (a percentage and the state), without it for bytes (amount, speed, time left)."""
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        _Amount(binary_units=True),
        _Speed(),
        TimeRemainingColumn(),
        console=stderr,
        disable=disable,
    )
