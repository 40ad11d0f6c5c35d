"""The background services of real-time status in an API process, started and stopped as one:
the WebSocket hub, the cross-process wake-up listener and the webhook dispatcher."""

from __future__ import annotations

import logging
import threading

from starlette.datastructures import State

from vidhost.db.client_videos import ClientVideos
from vidhost.db.webhook_store import SqlWebhookStore
from vidhost.events.wakeup import Wakeup, start_listener
from vidhost.realtime.hub import EventHub
from vidhost.webhooks.dispatcher import WebhookDispatcher
from vidhost.webhooks.outbox import OutboxFiller
from vidhost.wiring import Container, make_webhook_formats, public_base_url

log = logging.getLogger(__name__)


def base_url(container: Container) -> str:
    """Where webhook payload URLs point: ``VIDHOST_PUBLIC_URL``, else the address ``serve``
    listens on (a wildcard bind is reached on loopback; set the public URL for others)."""
    return public_base_url(container.settings)


class RealtimeServices:
    def __init__(self, container: Container, wakeup: threading.Event) -> None:
        s = container.settings
        self.hub = EventHub(container.bus, ClientVideos(container.engine).client_of)
        self.store = SqlWebhookStore(container.engine)
        self.store.configure_global(s.webhook_url, s.webhook_secret)
        if s.webhook_url and not s.webhook_secret:
            log.warning("VIDHOST_WEBHOOK_URL is set without a secret: global webhook disabled")
        filler = OutboxFiller(
            container.repo,
            self.store,
            base_url=base_url(container),
            retry_for=s.webhook_retry_for,
            formats=make_webhook_formats(container),
        )
        filler.init_cursor()  # before the first request: nothing after start-up is skipped
        self.dispatcher = WebhookDispatcher(
            self.store,
            filler,
            timeout=s.webhook_timeout,
            retry_base=s.webhook_retry_base,
            guard=container.url_guard,
        )
        self.dispatcher.attach(container.bus)
        self._container = container
        self._wakeup = wakeup
        self._listener: Wakeup | None = None

    def start(self, state: State) -> None:
        state.hub = self.hub
        state.webhook_dispatcher = self.dispatcher
        self._listener = start_listener(
            self._container.settings, self._container.engine, self._wakeup
        )
        self.dispatcher.start()

    def stop(self) -> None:
        self.dispatcher.stop()
        if self._listener is not None:
            self._listener.stop()
        self.hub.close()
