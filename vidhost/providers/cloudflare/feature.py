"""The Cloudflare Stream-compatible surface (ADR 0092): direct creator uploads, tus, videos,
signed URLs, customer-subdomain playback and Cloudflare-format webhooks. Its routes answer
in Cloudflare's envelope and are documented by Cloudflare's reference, not vidhost's OpenAPI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.providers.cloudflare.webhook_format import CloudflareWebhookFormat

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    c.webhook_formats.add(CloudflareWebhookFormat(c.base_url(), c.repo.list_tasks))


def routers() -> Sequence[APIRouter]:
    from vidhost.providers.cloudflare import routes

    return tuple(routes.routers())


FEATURE = Feature("cloudflare", install=install, routers=routers, in_schema=False)
