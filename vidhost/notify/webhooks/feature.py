"""Webhooks (``x-webhook-signature`` + Standard Webhooks): endpoints per owner, the outbox
filled from the event log, and the dispatcher that delivers it (ADR 0032)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Background, Feature
from vidhost.notify.webhooks.dispatcher import WebhookDispatcher
from vidhost.notify.webhooks.formats import WebhookFormats
from vidhost.notify.webhooks.outbox import OutboxFiller
from vidhost.notify.webhooks.sql_store import SqlWebhookStore

if TYPE_CHECKING:
    from fastapi import APIRouter

log = logging.getLogger(__name__)


def install(c: Container) -> None:
    c.webhook_store = SqlWebhookStore(c.engine)
    c.webhook_wake = threading.Event()
    c.webhook_formats = WebhookFormats(c.base_url())


def background(c: Container) -> Sequence[Background]:
    s = c.settings
    c.webhook_store.configure_global(s.webhook_url, s.webhook_secret)
    if s.webhook_url and not s.webhook_secret:
        log.warning("VIDHOST_WEBHOOK_URL is set without a secret: global webhook disabled")
    filler = OutboxFiller(
        c.repo,
        c.repo,
        c.webhook_store,
        base_url=c.base_url(),
        retry_for=s.webhook_retry_for,
        formats=c.webhook_formats,
    )
    filler.init_cursor()  # before the first request: nothing after start-up is skipped
    dispatcher = WebhookDispatcher(
        c.webhook_store,
        filler,
        timeout=s.webhook_timeout,
        retry_base=s.webhook_retry_base,
        guard=c.url_guard,
        wake=c.webhook_wake,
    )
    dispatcher.attach(c.bus)
    return [dispatcher]


def routers() -> Sequence[APIRouter]:
    from vidhost.notify.webhooks import routes

    return (routes.router,)


FEATURE = Feature("webhooks", install=install, routers=routers, background=background)
