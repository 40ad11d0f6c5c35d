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
    from fastapi import APIRouter, FastAPI


def install(c: Container) -> None:
    c.webhook_formats.add(CloudflareWebhookFormat(c.base_url(), c.videos.tasks))


def routers() -> Sequence[APIRouter]:
    from vidhost.providers.cloudflare import routes

    return tuple(routes.routers())


def mount(app: FastAPI) -> None:
    from vidhost.http.vendor_errors import answer_unknown_routes
    from vidhost.providers.cloudflare.envelope import failure

    # a path or method no Cloudflare route takes: 404/405 in Cloudflare's envelope
    answer_unknown_routes(app, ("/client/v4/",), failure)


FEATURE = Feature("cloudflare", install=install, routers=routers, mount=mount, in_schema=False)
