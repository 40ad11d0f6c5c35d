"""The Mux Video-compatible surface (ADR 0091, docs/providers.md): access tokens, direct
uploads (whole and chunked PUTs), assets, URL pulls, playback IDs, signing keys, playback in
stream.mux.com / image.mux.com shapes, and Mux-format webhooks."""

from __future__ import annotations

from fastapi import FastAPI

from vidhost.app.feature import Feature
from vidhost.app.wiring import Container
from vidhost.providers.mux import api, playback, upload_data
from vidhost.providers.mux.access_tokens import AccessTokens
from vidhost.providers.mux.cors import UploadCors
from vidhost.providers.mux.service import MuxService
from vidhost.providers.mux.store import SqlMuxStore
from vidhost.providers.mux.webhook_format import MuxWebhookFormat


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
