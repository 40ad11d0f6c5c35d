"""Webhook records and the public event vocabulary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

PUBLIC_EVENTS: tuple[str, ...] = (
    "video.upload.created",
    "video.asset.created",
    "video.asset.processing",
    "video.asset.ready",
    "video.asset.errored",
    "video.asset.deleted",
    "video.asset.static_rendition.ready",
    "video.asset.static_rendition.errored",
    "video.asset.static_rendition.skipped",
    "video.asset.static_renditions.ready",
    "video.asset.track.created",
    "video.asset.track.ready",
    "video.asset.track.errored",
    "video.asset.track.deleted",
)

GLOBAL_ENDPOINT_ID = "global"
"""The endpoint configured by ``VIDHOST_WEBHOOK_URL``; it receives every owner's events."""

# Outcomes of a failed attempt, as the delivery log shows them: a small fixed vocabulary (plus
# ``http_<status>``), never exception text, addresses or errno strings (ADR 0052).
CONNECTION_FAILED = "connection_failed"
TIMEOUT = "timeout"
TLS_ERROR = "tls_error"
REDIRECT_NOT_FOLLOWED = "redirect_not_followed"
BLOCKED_ADDRESS = "blocked_address"
"""The endpoint's host is (now) local, private or otherwise not public, or does not resolve."""
ENDPOINT_DISABLED = "endpoint_disabled"
OUTCOMES = frozenset(
    {
        CONNECTION_FAILED,
        TIMEOUT,
        TLS_ERROR,
        REDIRECT_NOT_FOLLOWED,
        BLOCKED_ADDRESS,
        ENDPOINT_DISABLED,
    }
)
_HTTP_OUTCOME = re.compile(r"^(?:http_|HTTP )([1-5][0-9][0-9])$")


def public_outcome(error: str | None) -> str | None:
    """``error`` as the delivery log may show it (rows written before ADR 0052 included)."""
    if error is None or error in OUTCOMES:
        return error
    match = _HTTP_OUTCOME.match(error)
    if match:
        return f"http_{match.group(1)}"
    return TIMEOUT if error.startswith("timed out") else CONNECTION_FAILED


PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"


@dataclass
class Endpoint:
    id: str
    owner: str | None
    url: str
    secret: str
    events: list[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    format: str = "vidhost"
    """How bodies are built and signed (``formats.FORMAT_NAMES``), chosen at registration."""
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None

    def wants(self, event_type: str) -> bool:
        return not self.events or "*" in self.events or event_type in self.events

    def previous_secret_at(self, now: datetime) -> str | None:
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            return self.previous_secret
        return None


@dataclass
class Attempt:
    attempted_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None


@dataclass
class Delivery:
    id: str
    endpoint_id: str
    message_id: str
    source_event_id: int
    event_type: str
    video_id: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    attempt_log: list[Attempt] = field(default_factory=list)
