"""The entry points' two calls: a container of every feature, and the app serving them.

``vidhost.app.cli`` (``serve``, ``worker``, ``cleanup``), the tests and the benchmarks call
these; they hand ``vidhost.app.features.FEATURES`` to the builder and to the app, so
neither ``wiring`` nor ``http`` imports a feature (ADR 0076)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vidhost.app import wiring
from vidhost.app.container import Container
from vidhost.app.features import FEATURES
from vidhost.app.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def build_container(
    settings: Settings, *, worker: bool = False, migrate_db: bool = True
) -> Container:
    """The core and every feature of ``FEATURES``; ``worker=True`` adds the task handlers."""
    return wiring.build_container(settings, FEATURES, worker=worker, migrate_db=migrate_db)


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """The FastAPI app of every feature (``vidhost serve``); it builds its container at
    start-up unless one is given."""
    from vidhost.http.app import build_app  # FastAPI only in API processes

    settings = settings or (container.settings if container else Settings())
    return build_app(settings, FEATURES, build_container, container)
