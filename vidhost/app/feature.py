"""What a feature hands the composition root (ADR 0074, warehouse's ``includeme``).

A feature is one ``feature.py`` in its own folder exposing ``FEATURE = Feature(...)``, listed
once in ``vidhost/app/features.py``. ``build_container`` runs every ``install`` (in
``serve``, ``worker``, ``cleanup`` and the tests alike); ``create_app`` includes every
feature's routers and mounts, and its lifespan starts every feature's background jobs in
order and stops them in reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from vidhost.app.container import Container

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI


class Background(Protocol):
    """A job an API process runs while it serves: started after every feature is installed,
    stopped (in reverse order) when the process shuts down."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Job:
    """A ``Background`` made of two callables (for jobs that are not one object)."""

    on_start: Callable[[], object] = lambda: None
    on_stop: Callable[[], object] = lambda: None

    def start(self) -> None:
        self.on_start()

    def stop(self) -> None:
        self.on_stop()


def _nothing(container: Container) -> None:
    return None


def _no_jobs(container: Container) -> Sequence[Background]:
    return ()


def _no_routers() -> Sequence[APIRouter]:
    return ()


@dataclass(frozen=True)
class Feature:
    name: str
    install: Callable[[Container], None] = _nothing
    """Every process: build this feature's services into the container (fields named after
    the feature), add its sweepers and metrics, and, when ``container.worker``, its task
    handlers. No threads, no sockets here: those are ``background``."""
    routers: Callable[[], Sequence[APIRouter]] = _no_routers
    """API processes: included in this order, after the routers of the features before.
    A function that imports its route modules when called, so a worker, which never calls
    it, loads no FastAPI (``tests/integration/app/test_composition.py``)."""
    in_schema: bool = True
    """The routers' operations are in vidhost's OpenAPI document (False: a surface that
    another provider's reference documents, in that provider's envelope)."""
    mount: Callable[[FastAPI], None] | None = None
    """API processes: anything else on the app, after every feature's routers: static files,
    or a middleware that must wrap the whole stack (added after ``create_app``'s own, so it
    is the outermost)."""
    background: Callable[[Container], Sequence[Background]] = field(default=_no_jobs)
    """API processes: the jobs to run while serving (built at start-up, not yet started)."""
