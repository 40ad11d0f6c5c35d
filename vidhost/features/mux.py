"""The Mux Video-compatible surface (ADR 0091, docs/providers.md): access tokens, direct
uploads (whole and chunked PUTs), assets, URL pulls, playback IDs, signing keys, playback in
stream.mux.com / image.mux.com shapes, and Mux-format webhooks."""

from __future__ import annotations

from fastapi import FastAPI

from vidhost.db.mux_store import SqlMuxStore
from vidhost.features.feature import Feature
from vidhost.mux import api, playback, upload_data
from vidhost.mux.access_tokens import AccessTokens
from vidhost.mux.cors import UploadCors
from vidhost.mux.service import MuxService
from vidhost.mux.webhook_format import MuxWebhookFormat
from vidhost.wiring import Container


def install(c: Container) -> None:
    c.mux_store = SqlMuxStore(c.engine)
    c.mux = MuxService(c, c.mux_store)
    c.access_tokens = AccessTokens(c.mux_store)
    c.webhook_formats.add(MuxWebhookFormat(c.mux_store, c.repo.list_tasks))


def mount(app: FastAPI) -> None:
    app.add_middleware(UploadCors)  # outermost: a Mux upload URL answers for its cors_origin


FEATURE = Feature(
    "mux",
    install=install,
    # the playback routes' paths start with a parameter (``/{playback_id}.m3u8``): last
    routers=(api.router, upload_data.router, playback.router),
    mount=mount,
)
