"""Scaled-out fan-out: two API processes on one PostgreSQL database; a change made by a third
process reaches sockets on both, woken by PostgreSQL NOTIFY or by Redis pub/sub."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import websockets

from tests.realtime import read_until_closed, recv_json, ws_url
from tests.server import ServerProcess
from vidhost.app.main import build_container
from vidhost.app.settings import Settings
from vidhost.core.lifecycle import VideoState

pytestmark = pytest.mark.e2e

PG = "postgresql://postgres@127.0.0.1:5432/"


@pytest.fixture
def database() -> Iterator[str]:
    name = "vidhost_fanout_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield PG + name
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.mark.parametrize(
    "events",
    [
        {"VIDHOST_EVENTS": "postgres"},
        {"VIDHOST_EVENTS": "redis", "VIDHOST_REDIS_URL": "redis://127.0.0.1:6379/0"},
    ],
)
def test_change_reaches_sockets_on_every_api_process(database, events, tmp_path):
    env = {
        "VIDHOST_AUTH": "none",
        "VIDHOST_JWT_SECRET": "fanout-test-secret-0123456789abcdefgh",  # required off SQLite
        "VIDHOST_DATABASE_URL": database,
        "VIDHOST_EMBEDDED_WORKER": "false",
        # a slow poll: only a wake-up can deliver within the time asserted below
        "VIDHOST_EVENT_POLL_INTERVAL": "5",
        **events,
    }
    servers = [ServerProcess(tmp_path / f"api{i}", env) for i in range(2)]
    try:
        for server in servers:
            server.start()
        writer = build_container(
            Settings(
                data_dir=tmp_path / "writer",
                database_url=database,
                events=events["VIDHOST_EVENTS"],  # type: ignore[arg-type]
                redis_url=events.get("VIDHOST_REDIS_URL"),
            )
        )
        video = writer.videos.create_pending(owner="anonymous")

        async def scenario() -> None:
            path = f"/video/{video.id}/status/stream"
            sockets = [await websockets.connect(ws_url(s, path)) for s in servers]
            for ws in sockets:
                assert (await recv_json(ws))["state"] == "UPLOADED"
            await asyncio.to_thread(writer.videos.change_state, video, VideoState.UPLOADED)
            await asyncio.to_thread(writer.videos.change_state, video, VideoState.PROCESSING)
            for ws in sockets:
                assert (await recv_json(ws, timeout=2))["state"] == "PROCESSING"
            await asyncio.to_thread(writer.videos.change_state, video, VideoState.READY)
            for ws in sockets:
                assert [m["state"] for m in await read_until_closed(ws, timeout=2)] == ["READY"]
                assert ws.close_code == 1000

        asyncio.run(scenario())
        writer.close()
    finally:
        for server in servers:
            server.stop()
