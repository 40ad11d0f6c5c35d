"""Downloads: static renditions (MP4/M4A) remuxed from the stored ladder, one mechanism
for vidhost's, Mux's and Cloudflare's surfaces (ADR 0065). Installs the service every
surface and the worker's ``static_rendition`` task use; the native routes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.adapters.db.static_renditions import SqlStaticRenditionStore
from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.core.downloads import StaticRenditions

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    store = SqlStaticRenditionStore(c.repo)
    c.static_renditions = StaticRenditions(c.videos, store, c.storage, c.plans.get)


def routers() -> Sequence[APIRouter]:
    from vidhost.delivery.downloads import routes

    return (routes.router,)


FEATURE = Feature("downloads", install=install, routers=routers)
