"""``/api/webhooks``: an owner's webhook endpoints, their secrets and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vidhost.adapters.net.url_guard import UrlGuard
from vidhost.app.container import Container
from vidhost.core.errors import InvalidInput, NotFound
from vidhost.core.webhook_signing import new_secret
from vidhost.core.webhook_store import WebhookStore
from vidhost.core.webhooks import Delivery, Endpoint, public_outcome
from vidhost.http.deps import ContainerDep, CurrentUser
from vidhost.notify.webhooks.formats import FORMAT_NAMES, VIDHOST, WebhookFormat

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Invalid url (`invalid_url`), a url whose host is not public "
        "(`url_forbidden`), an unknown event type or a bad secret"
    },
    401: {"description": "Missing or invalid bearer token"},
    404: {"description": "No such endpoint for this user"},
}


async def get_store(container: ContainerDep) -> WebhookStore:
    return container.webhook_store


StoreDep = Annotated[WebhookStore, Depends(get_store)]


class EndpointIn(BaseModel):
    url: str = Field(
        max_length=2048,
        description="http(s) URL that receives POSTed events; its host must resolve to "
        "public addresses only (unless the operator allows private networks)",
    )
    events: list[str] = Field(default_factory=list, description="Event filter; empty: all")
    secret: str | None = Field(default=None, description="Signing secret; generated if absent")
    description: str | None = Field(default=None, max_length=1000)
    format: str = Field(
        default=VIDHOST,
        description="Body and signature format: `vidhost` (`x-webhook-signature` + Standard "
        "Webhooks signatures), `mux` (Mux's event objects, `Mux-Signature`) or `cloudflare`; "
        "fixed for the endpoint's life",
        json_schema_extra={"enum": list(FORMAT_NAMES)},
    )


class RotateIn(BaseModel):
    secret: str | None = None
    keep_previous_seconds: float = Field(
        default=24 * 3600.0, ge=0, description="The old secret also signs for this long"
    )


class EndpointOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    format: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    secret: str | None = Field(default=None, description="Only in create and rotate responses")
    previous_secret_expires_at: datetime | None = None


OUTCOME_DOC = (
    "Why the attempt failed: connection_failed, timeout, tls_error, redirect_not_followed "
    "(a 3xx; redirects are never followed), blocked_address (the host is not public), "
    "endpoint_disabled, or http_<status>; null when it succeeded"
)


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None = Field(description=OUTCOME_DOC)


class DeliveryOut(BaseModel):
    id: str
    message_id: str
    event_type: str
    video_id: str
    status: str = Field(description="pending | succeeded | failed")
    attempts: int
    next_attempt_at: datetime | None
    expires_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None = Field(description=OUTCOME_DOC)
    attempt_log: list[AttemptOut]


def endpoint_out(endpoint: Endpoint, *, with_secret: bool = False) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        events=endpoint.events,
        description=endpoint.description,
        format=endpoint.format,
        enabled=endpoint.enabled,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
        secret=endpoint.secret if with_secret else None,
        previous_secret_expires_at=endpoint.previous_secret_until,
    )


def delivery_out(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        message_id=d.message_id,
        event_type=d.event_type,
        video_id=d.video_id,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        expires_at=d.expires_at,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
        last_status_code=d.last_status_code,
        last_error=public_outcome(d.last_error),
        attempt_log=[
            AttemptOut(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                latency_ms=a.latency_ms,
                error=public_outcome(a.error),
            )
            for a in d.attempt_log
        ],
    )


def _check_url(guard: UrlGuard, url: str) -> str:
    """Syntax, then every address the host resolves to now (blocking: run in a thread)."""
    url = url.strip()
    guard.check(url)
    return url


def _check_format(container: Container, name: str) -> WebhookFormat:
    fmt = container.webhook_formats.find(name)  # the formats this process serves
    if name not in FORMAT_NAMES or fmt is None:
        raise InvalidInput(
            f"unknown webhook format {name!r}; known: {list(FORMAT_NAMES)}",
            code="invalid_webhook_format",
        )
    return fmt


def _check_events(events: list[str], fmt: WebhookFormat) -> list[str]:
    known = list(fmt.event_types)
    unknown = [e for e in events if e != "*" and e not in known]
    if unknown:
        raise InvalidInput(
            f"unknown event type(s) {unknown}; known: {known}",
            code="invalid_event_type",
        )
    return list(dict.fromkeys(events))


def _check_secret(secret: str | None) -> str:
    if secret is None:
        return new_secret()
    if not 16 <= len(secret) <= 255:
        raise InvalidInput("secret must be 16-255 characters", code="invalid_secret")
    return secret


def _owned(store: WebhookStore, endpoint_id: str, user: str) -> Endpoint:
    endpoint = store.get_endpoint(endpoint_id)
    if endpoint is None or endpoint.owner != user:
        raise NotFound("webhook endpoint not found", code="webhook_not_found")
    return endpoint


@router.post("", status_code=201, response_model=EndpointOut, responses=ERRORS)
async def create_endpoint(
    body: EndpointIn,
    user: CurrentUser,
    store: StoreDep,
    container: ContainerDep,
) -> EndpointOut:
    """Register an endpoint; the response is the only one that shows the secret (until a
    rotation). Its host must not be local or private (checked again at each delivery).
    ``format`` chooses the body and signature shape (``events`` are that format's types)."""
    fmt = _check_format(container, body.format)
    events, secret = _check_events(body.events, fmt), _check_secret(body.secret)
    url = await run_in_threadpool(_check_url, container.url_guard, body.url)
    endpoint = await run_in_threadpool(
        lambda: store.create_endpoint(
            owner=user,
            url=url,
            secret=secret,
            events=events,
            description=body.description,
            format=fmt.name,
        )
    )
    return endpoint_out(endpoint, with_secret=True)


@router.get("", response_model=list[EndpointOut], responses=ERRORS)
async def list_endpoints(user: CurrentUser, store: StoreDep) -> list[EndpointOut]:
    return [endpoint_out(e) for e in await run_in_threadpool(store.list_endpoints, user)]


@router.get("/{endpoint_id}", response_model=EndpointOut, responses=ERRORS)
async def get_endpoint(endpoint_id: str, user: CurrentUser, store: StoreDep) -> EndpointOut:
    return endpoint_out(await run_in_threadpool(_owned, store, endpoint_id, user))


@router.delete("/{endpoint_id}", status_code=204, responses=ERRORS)
async def delete_endpoint(endpoint_id: str, user: CurrentUser, store: StoreDep) -> Response:
    """Remove the endpoint; its pending deliveries are dropped with it."""
    await run_in_threadpool(_owned, store, endpoint_id, user)
    await run_in_threadpool(store.delete_endpoint, endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", response_model=EndpointOut, responses=ERRORS)
async def rotate_secret(
    endpoint_id: str, user: CurrentUser, store: StoreDep, body: RotateIn | None = None
) -> EndpointOut:
    """New secret; the old one keeps signing (``webhook-signature``) for a grace period."""
    body = body or RotateIn()
    await run_in_threadpool(_owned, store, endpoint_id, user)
    secret = _check_secret(body.secret)
    await run_in_threadpool(
        lambda: store.rotate_secret(
            endpoint_id, secret, keep_previous_for=body.keep_previous_seconds
        )
    )
    return endpoint_out(await run_in_threadpool(_owned, store, endpoint_id, user), with_secret=True)


@router.get("/{endpoint_id}/deliveries", response_model=list[DeliveryOut], responses=ERRORS)
async def list_deliveries(
    endpoint_id: str,
    user: CurrentUser,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[DeliveryOut]:
    """Newest first, each with every attempt: time, status code, latency, error."""
    await run_in_threadpool(_owned, store, endpoint_id, user)
    deliveries = await run_in_threadpool(lambda: store.deliveries(endpoint_id, limit=limit))
    return [delivery_out(d) for d in deliveries]


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/resend",
    status_code=202,
    response_model=DeliveryOut,
    responses=ERRORS,
)
async def resend(
    endpoint_id: str,
    delivery_id: str,
    user: CurrentUser,
    store: StoreDep,
    container: ContainerDep,
) -> DeliveryOut:
    """Queue the delivery again now (same body and ``webhook-id``), retried as a new one."""
    await run_in_threadpool(_owned, store, endpoint_id, user)
    delivery = await run_in_threadpool(store.get_delivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound("delivery not found", code="delivery_not_found")
    retry_for = container.settings.webhook_retry_for
    await run_in_threadpool(lambda: store.resend(delivery_id, retry_for=retry_for))
    container.webhook_wake.set()  # the dispatcher of this process looks now
    updated = await run_in_threadpool(store.get_delivery, delivery_id)
    assert updated is not None
    return delivery_out(updated)
