"""The one container (ADR 0074): ``build_container`` installs every feature, the same way
for ``serve``, ``worker``, ``cleanup`` and the tests, and the app serves every feature's
routers and runs every feature's background jobs."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import subprocess
import sys
import threading
from importlib import import_module
from pathlib import Path

from fastapi import APIRouter

import vidhost
from vidhost.app.container import Container
from vidhost.app.features import FEATURES
from vidhost.app.main import build_container, create_app
from vidhost.app.settings import Settings
from vidhost.processing.broker.celery_app import RUN_TASK

VIDHOST = Path(vidhost.__file__).resolve().parent


def installed(c: Container) -> list[str]:
    """The feature-installed fields (``init=False``) that hold a value."""
    return [f.name for f in dataclasses.fields(c) if not f.init and hasattr(c, f.name)]


def test_every_feature_field_is_installed_and_only_a_worker_runs_tasks(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", auth="none")
    api = build_container(settings)
    worker = build_container(settings, worker=True)
    try:
        expected = [f.name for f in dataclasses.fields(Container) if not f.init]
        assert installed(api) == expected
        # a worker holds no segment requests: the waiters (and the HTTP stack they need) are
        # an API process's only (ADR 0076)
        assert installed(worker) == [f for f in expected if f != "segment_waiters"]
        assert RUN_TASK not in api.celery.tasks
        assert RUN_TASK in worker.celery.tasks
        assert len(api.sweepers) == len(worker.sweepers) >= 2  # expired uploads, direct
    finally:
        api.close()
        worker.close()


def router_modules() -> list[str]:
    """Every vidhost module that defines a top-level ``router = APIRouter(...)``."""
    found = []
    for path in sorted(VIDHOST.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            targets = [node.target] if isinstance(node, ast.AnnAssign) else []
            targets += node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == "router" for t in targets):
                parts = path.relative_to(VIDHOST.parent).with_suffix("").parts
                found.append(".".join(parts))
    return found


def test_every_router_is_included_by_exactly_one_feature() -> None:
    """A new API package (its own router) is served only once a feature lists it."""
    declared = [r for f in FEATURES for r in f.routers()]
    assert len(declared) == len({id(r) for r in declared})
    modules = router_modules()
    assert "vidhost.ingest.tus.routes" in modules and "vidhost.web.pages" in modules
    for name in modules:
        router = import_module(name).router
        assert isinstance(router, APIRouter), name
        assert any(router is r for r in declared), name


JOBS = {"vidhost-reconciler", "vidhost-uploads", "vidhost-outbox", "vidhost-event-tail"}
"""Threads of the videos, direct-upload, webhook and event features' background jobs."""


def threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.is_alive()}


def test_the_app_runs_the_features_jobs_on_the_container_it_was_given(tmp_path: Path) -> None:
    """Started with the app's lifespan, stopped with it, on the container it was given."""
    settings = Settings(data_dir=tmp_path / "data", auth="none", embedded_worker=False)
    c = build_container(settings)
    app = create_app(container=c)
    seen: dict[str, object] = {}

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            seen["threads"] = threads()
            seen["container"] = app.state.container

    try:
        assert not JOBS & threads()
        asyncio.run(serve())
        assert seen["threads"] >= JOBS  # type: ignore[operator]
        assert seen["container"] is c
        assert not JOBS & threads()
    finally:
        c.close()


def test_a_worker_loads_no_fastapi(tmp_path: Path) -> None:
    """``vidhost worker`` builds the whole container (every feature installs) without
    importing FastAPI or a route: features name their routers in a function (ADR 0076)."""
    code = (
        "import sys\n"
        "from vidhost.app.main import build_container\n"
        "from vidhost.app.settings import Settings\n"
        f"c = build_container(Settings(data_dir={str(tmp_path)!r}), worker=True)\n"
        "c.close()\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette'))\n"
        "print(loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
