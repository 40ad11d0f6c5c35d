"""``PUT/GET/DELETE .../stream/webhook``: the account's one Cloudflare-format endpoint.

It is an ordinary vidhost webhook endpoint with ``format = cloudflare`` (the same store,
outbox, retries, delivery log and outbound URL guard as ``/api/webhooks``); a PUT replaces
the account's previous one and answers a new ``secret``.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vidhost.core.errors import InvalidInput, NotFound
from vidhost.core.webhook_store import WebhookStore
from vidhost.core.webhooks import Endpoint
from vidhost.http.deps import ContainerDep
from vidhost.providers.cloudflare.auth import PREFIX, Account
from vidhost.providers.cloudflare.envelope import CloudflareRoute, success
from vidhost.providers.cloudflare.webhook_format import NAME

router = APIRouter(prefix=PREFIX, tags=["cloudflare stream"], route_class=CloudflareRoute)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    notificationUrl: str | None = Field(default=None, max_length=2048)
    notification_url: str | None = Field(default=None, max_length=2048)


def _out(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "notificationUrl": endpoint.url,
        "modified": endpoint.updated_at.isoformat().replace("+00:00", "Z"),
        "secret": endpoint.secret,
    }


def _current(store: WebhookStore, user: str) -> list[Endpoint]:
    return [e for e in store.list_endpoints(user) if e.format == NAME]


@router.put("/webhook")
async def put_webhook(body: WebhookIn, user: Account, container: ContainerDep) -> Response:
    """Send the account's ready/error notifications to ``notificationUrl``."""
    url = (body.notificationUrl or body.notification_url or "").strip()
    if not url:
        raise InvalidInput("notificationUrl is required")
    await run_in_threadpool(container.url_guard.check, url)
    store = container.webhook_store

    def replace() -> Endpoint:
        for old in _current(store, user):
            store.delete_endpoint(old.id)
        return store.create_endpoint(
            owner=user,
            url=url,
            secret=secrets.token_hex(32),
            events=[],
            description="Cloudflare Stream webhook",
            format=NAME,
        )

    return success(_out(await run_in_threadpool(replace)))


@router.get("/webhook")
async def get_webhook(user: Account, container: ContainerDep) -> Response:
    found = await run_in_threadpool(_current, container.webhook_store, user)
    if not found:
        raise NotFound("no webhook is set for this account", code="webhook_not_found")
    return success(_out(found[-1]))


@router.delete("/webhook")
async def delete_webhook(user: Account, container: ContainerDep) -> Response:
    store = container.webhook_store

    def delete() -> None:
        found = _current(store, user)
        if not found:
            raise NotFound("no webhook is set for this account", code="webhook_not_found")
        for endpoint in found:
            store.delete_endpoint(endpoint.id)

    await run_in_threadpool(delete)
    return success("")
