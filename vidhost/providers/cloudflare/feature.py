"""The Cloudflare Stream-compatible surface (ADR 0092): direct creator uploads, tus, videos,
signed URLs, customer-subdomain playback and Cloudflare-format webhooks. Its routes answer
in Cloudflare's envelope and are documented by Cloudflare's reference, not vidhost's OpenAPI."""

from __future__ import annotations

from vidhost.app.feature import Feature
from vidhost.app.wiring import Container
from vidhost.providers.cloudflare import routes
from vidhost.providers.cloudflare.webhook_format import CloudflareWebhookFormat


def install(c: Container) -> None:
    c.webhook_formats.add(CloudflareWebhookFormat(c.base_url(), c.repo.list_tasks))


FEATURE = Feature("cloudflare", install=install, routers=tuple(routes.routers()), in_schema=False)
