"""The original upload, downloadable by its owner through a signed, expiring link (ADR
0093): ``GET /api/videos/{id}/original``, Mux's ``master`` (``providers/mux``), and the
signed GET that serves links with local storage (``/storage/download/...``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.adapters.storage.signed_urls import LocalSignedDownloads
from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.core.originals import OriginalLinks

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    s = c.settings
    c.originals = OriginalLinks(
        c.storage,
        c.downloads or LocalSignedDownloads(c.url_signer),
        enabled=s.original_downloads,
        ttl=s.original_link_ttl,
    )


def routers() -> Sequence[APIRouter]:
    from vidhost.delivery.originals import routes

    return (routes.router,)


FEATURE = Feature("originals", install=install, routers=routers)
