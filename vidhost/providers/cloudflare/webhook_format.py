"""Cloudflare Stream's webhook format, for the durable outbox (``webhooks/formats.py``).

One notification when processing finishes, ready or error; the body is the video object
(``GET .../stream/{uid}``). Signed with ``Webhook-Signature: time=<unix>,sig1=<hex>``,
where ``sig1`` is HMAC-SHA256, keyed with the secret, of ``"<time>.<body>"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vidhost.core.models import DomainEvent, Task, Video
from vidhost.core.webhook_signing import timestamped_hmac
from vidhost.providers.cloudflare.views import video_object

NAME = "cloudflare"
READY, ERROR = "video.ready", "video.error"
TYPES = {"video.asset.ready": READY, "video.asset.errored": ERROR}
"""vidhost's public event -> this format's (only the end of processing is sent)."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Webhook-Signature`` header value."""
    return f"time={timestamp},sig1={timestamped_hmac(secret, timestamp, body)}"


class CloudflareWebhookFormat:
    name = NAME
    event_types: tuple[str, ...] = (READY, ERROR)

    def __init__(self, base_url: str, tasks: Callable[[str], list[Task]]) -> None:
        self.base_url = base_url.rstrip("/")
        self.tasks = tasks

    def types_for(self, public_type: str, event: DomainEvent, video: Video | None) -> list[str]:
        mapped = TYPES.get(public_type)
        return [mapped] if mapped is not None and video is not None else []

    def body(
        self, event_type: str, message_id: str, event: DomainEvent, video: Video | None
    ) -> dict[str, Any]:
        assert video is not None, "types_for sends nothing without the video"
        return video_object(self.base_url, video, self.tasks(video.id))

    def headers(
        self,
        secret: str,
        message_id: str,
        timestamp: int,
        body: bytes,
        *,
        previous_secret: str | None = None,
    ) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "Webhook-Signature": signature(secret, timestamp, body),
        }
