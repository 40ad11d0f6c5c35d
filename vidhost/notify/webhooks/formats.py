"""Webhook formats: how one public event becomes a body and signed headers for an endpoint.

An endpoint chooses its format when it is registered (``webhook_endpoints.format``). A format
maps vidhost's public event types (``models.PUBLIC_EVENTS``) to its own event types, builds
the body of each, and signs it. The outbox (``outbox.py``) builds each body once per (event,
format, type) and queues it for every endpoint of that format; the dispatcher signs with the
endpoint's format at each attempt. ``vidhost`` is built in; other surfaces (``mux``,
``cloudflare``) implement :class:`WebhookFormat` in their own package and their feature adds
it to the container's :class:`WebhookFormats` (``vidhost/features/``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from vidhost.core.models import DomainEvent, Video
from vidhost.core.webhook_signing import signed_headers
from vidhost.core.webhooks import PUBLIC_EVENTS
from vidhost.notify.webhooks import payload

VIDHOST = "vidhost"
FORMAT_NAMES: tuple[str, ...] = ("vidhost", "mux", "cloudflare")
"""Every value ``webhook_endpoints.format`` may hold (a format is served once registered)."""


class WebhookFormat(Protocol):
    name: str
    event_types: tuple[str, ...]
    """The event types this format sends (what an endpoint's ``events`` filter may name)."""

    def types_for(self, public_type: str, event: DomainEvent, video: Video | None) -> list[str]:
        """This format's event types for one public event (often none or one)."""
        ...

    def body(
        self, event_type: str, message_id: str, event: DomainEvent, video: Video | None
    ) -> dict[str, Any]:
        """The JSON body; ``message_id`` is stable across retries (use it as the event id)."""
        ...

    def headers(
        self,
        secret: str,
        message_id: str,
        timestamp: int,
        body: bytes,
        *,
        previous_secret: str | None = None,
    ) -> dict[str, str]:
        """The headers of one attempt, signatures included (``content-type`` too)."""
        ...


class VidhostFormat:
    """vidhost's own body (``payload.build``), ``x-webhook-signature`` and Standard Webhooks
    signatures."""

    name = VIDHOST
    event_types = PUBLIC_EVENTS

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def types_for(self, public_type: str, event: DomainEvent, video: Video | None) -> list[str]:
        # notices of other surfaces (``video.original.ready`` ...) are not vidhost events
        return [public_type] if public_type in PUBLIC_EVENTS else []

    def body(
        self, event_type: str, message_id: str, event: DomainEvent, video: Video | None
    ) -> dict[str, Any]:
        return payload.build(event_type, event, video, self.base_url)

    def headers(
        self,
        secret: str,
        message_id: str,
        timestamp: int,
        body: bytes,
        *,
        previous_secret: str | None = None,
    ) -> dict[str, str]:
        return signed_headers(secret, message_id, timestamp, body, previous_secret=previous_secret)


class WebhookFormats:
    """The formats this process serves, by name; ``vidhost`` is always there."""

    def __init__(self, base_url: str, extra: Iterable[WebhookFormat] = ()) -> None:
        self._formats: dict[str, WebhookFormat] = {VIDHOST: VidhostFormat(base_url)}
        for fmt in extra:
            if fmt.name not in FORMAT_NAMES:
                raise ValueError(f"unknown webhook format {fmt.name!r}; add it to FORMAT_NAMES")
            self._formats[fmt.name] = fmt

    def add(self, fmt: WebhookFormat) -> None:
        """Serve one more format (an API surface's feature adds its own at install)."""
        if fmt.name not in FORMAT_NAMES:
            raise ValueError(f"unknown webhook format {fmt.name!r}; add it to FORMAT_NAMES")
        self._formats[fmt.name] = fmt

    def find(self, name: str | None) -> WebhookFormat | None:
        """The format named (``None``: ``vidhost``); None if this process does not serve it."""
        return self._formats.get(name or VIDHOST)

    def served(self) -> list[str]:
        return list(self._formats)

    def __contains__(self, name: object) -> bool:
        return name in self._formats
