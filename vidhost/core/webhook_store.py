"""The webhook store's interface: endpoints, the outbox of deliveries, their attempt log.

``vidhost.notify.webhooks`` and the API surfaces that keep endpoints (Cloudflare's one
``/webhook``) depend on this Protocol only; ``vidhost.notify.webhooks.sql_store`` implements
it (SQLite | PostgreSQL), so the layers import one way: ``db`` -> ``webhooks`` (ADR 0090),
and a provider needs only ``core`` (ADR 0079).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from vidhost.core.webhooks import Attempt, Delivery, Endpoint


class WebhookStore(Protocol):
    # --- endpoints ------------------------------------------------------------------------

    def create_endpoint(
        self,
        *,
        owner: str,
        url: str,
        secret: str,
        events: list[str],
        description: str | None,
        format: str = "vidhost",
    ) -> Endpoint: ...

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None: ...

    def list_endpoints(self, owner: str) -> list[Endpoint]: ...

    def endpoints_for(self, owner: str) -> list[Endpoint]:
        """Enabled endpoints that receive ``owner``'s events (theirs and the global one)."""
        ...

    def delete_endpoint(self, endpoint_id: str) -> None: ...

    def rotate_secret(self, endpoint_id: str, secret: str, *, keep_previous_for: float) -> None: ...

    def configure_global(self, url: str | None, secret: str | None) -> None:
        """Make the ``global`` endpoint match ``VIDHOST_WEBHOOK_URL``/``_SECRET``, or disable it."""
        ...

    # --- the outbox -----------------------------------------------------------------------

    def first_event_of_video(self, video_id: str, event_id: int) -> bool:
        """Whether no event of the video comes before ``event_id`` in the event log."""
        ...

    def enqueue(
        self,
        *,
        endpoint_id: str,
        message_id: str,
        source_event_id: int,
        event_type: str,
        video_id: str,
        body: str,
        retry_for: float,
    ) -> bool:
        """Add a delivery; False if this message is already queued for this endpoint."""
        ...

    def cursor(self, name: str) -> int | None:
        """The last event id the named reader of the event log has handled."""
        ...

    def set_cursor(self, name: str, event_id: int) -> None: ...

    def claim_due(self, *, limit: int, lease: float) -> list[Delivery]:
        """Pending deliveries whose time has come, leased to this process for ``lease`` s."""
        ...

    def record_attempt(
        self,
        delivery: Delivery,
        attempt: Attempt,
        *,
        succeeded: bool,
        next_attempt_at: datetime | None,
    ) -> None:
        """Log one attempt; succeeded, retry at ``next_attempt_at``, or (None) given up."""
        ...

    # --- the delivery log -----------------------------------------------------------------

    def deliveries(self, endpoint_id: str, *, limit: int = 50) -> list[Delivery]: ...

    def get_delivery(self, delivery_id: str) -> Delivery | None: ...

    def resend(self, delivery_id: str, *, retry_for: float) -> None: ...

    def pending_count(self) -> int: ...
