"""Helpers for real-time tests: a second process's view of a server's data, socket readers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import websockets

from tests.server import ServerProcess
from vidhost.app.container import Container
from vidhost.app.main import build_container
from vidhost.app.settings import Settings


def other_process(server: ServerProcess) -> Container:
    """vidhost's services on the server's data dir, in this (the test) process."""
    return build_container(Settings(data_dir=server.data_dir), migrate_db=False)


def ws_url(server: ServerProcess, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


async def recv_json(ws: websockets.ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))  # type: ignore[no-any-return]


async def read_until_closed(
    ws: websockets.ClientConnection, timeout: float = 60.0
) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def collect() -> None:
        async for raw in ws:
            messages.append(json.loads(raw))

    await asyncio.wait_for(collect(), timeout)
    return messages


async def drain(ws: websockets.ClientConnection, quiet: float = 0.5) -> list[dict[str, Any]]:
    """Messages until none arrives for ``quiet`` seconds."""
    messages: list[dict[str, Any]] = []
    try:
        while True:
            messages.append(await recv_json(ws, quiet))
    except TimeoutError:
        return messages


def upload(server: ServerProcess, clip: Path, **fields: str) -> str:
    import httpx

    with clip.open("rb") as f:
        response = httpx.post(
            server.url + "/upload",
            files={"file": (clip.name, f, "video/mp4")},
            data=fields,
            timeout=60,
        )
    assert response.status_code == 201, response.text
    return str(response.json()["videoId"])
