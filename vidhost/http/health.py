"""Liveness: ``GET /healthz``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from vidhost.http.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(container: ContainerDep) -> dict[str, Any]:
    def check_db() -> None:
        with container.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    await run_in_threadpool(check_db)
    return {"status": "ok", "storage": container.settings.storage}
