"""The Mux Video-compatible surface (ADR 0091, docs/providers.md): access tokens, direct
uploads (whole and chunked PUTs), assets, URL pulls, playback IDs, signing keys, playback in
stream.mux.com / image.mux.com shapes, and Mux-format webhooks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.providers.mux.access_tokens import AccessTokens
from vidhost.providers.mux.master_access import MasterAccess
from vidhost.providers.mux.service import PULL, MuxService, PullConfig
from vidhost.providers.mux.store import SqlMuxStore
from vidhost.providers.mux.webhook_format import MuxWebhookFormat

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI


def install(c: Container) -> None:
    s = c.settings
    c.mux_store = SqlMuxStore(c.engine)
    c.mux = MuxService(
        c.videos,
        c.uploads,
        c.url_fetcher,
        PullConfig(max_bytes=s.max_upload_bytes, timeout=s.mux_pull_timeout),
        c.mux_store,
        c.static_renditions,
        c.clips,
    )
    c.ingest_ways[PULL] = c.mux.source_way()
    c.access_tokens = AccessTokens(c.mux_store)
    c.mux_master = MasterAccess(c.videos, c.originals)
    c.webhook_formats.add(
        MuxWebhookFormat(
            c.mux_store,
            c.videos.tasks,
            c.static_renditions,
            master=c.mux_master,
            base_url=c.base_url(),
        )
    )


def routers() -> Sequence[APIRouter]:
    # the playback routes' paths start with a parameter (``/{playback_id}.m3u8``): last
    from vidhost.providers.mux import (
        api,
        asset_edits,
        generated_subtitles,
        playback,
        static_renditions,
        text_tracks,
        upload_data,
    )

    # the files (``/{playback_id}/high.mp4`` ...) after the other playback routes
    return (
        api.router,
        asset_edits.router,
        static_renditions.router,
        upload_data.router,
        text_tracks.router,
        generated_subtitles.router,
        text_tracks.files,
        playback.router,
        static_renditions.files,
    )


def mount(app: FastAPI) -> None:
    from vidhost.http.vendor_errors import answer_unknown_routes
    from vidhost.providers.mux.cors import UploadCors
    from vidhost.providers.mux.errors import MUX_PREFIXES, mux_error

    app.add_middleware(UploadCors)  # outermost: a Mux upload URL answers for its cors_origin
    # a path or method no Mux route takes: 404/405 in Mux's shape, not vidhost's
    answer_unknown_routes(
        app, MUX_PREFIXES, lambda st, code, msg, h: mux_error(st, msg, code, dict(h or {}))
    )


FEATURE = Feature("mux", install=install, routers=routers, mount=mount)
