"""Delivery-time address checks: a name that resolved publicly at registration and points at
loopback when the webhook is sent (DNS rebinding) gets no connection (ADR 0052).

Only DNS is stubbed (the attack is a resolver that changes its answer); the store, the
dispatcher, HTTP and the listener are real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_server import Listener
from vidhost.adapters.db.engine import make_engine, migrate
from vidhost.adapters.db.repository import SqlRepository
from vidhost.adapters.net.url_guard import UrlGuard, UrlPolicy
from vidhost.core.webhooks import Delivery
from vidhost.notify.webhooks.dispatcher import WebhookDispatcher
from vidhost.notify.webhooks.formats import WebhookFormats
from vidhost.notify.webhooks.outbox import OutboxFiller
from vidhost.notify.webhooks.sql_store import SqlWebhookStore

NAME = "hooks.example.test"  # .test never resolves for real: any connection was pinned


class FlippingResolver:
    def __init__(self, *answer: str) -> None:
        self.answer = list(answer)
        self.calls = 0

    def __call__(self, host: str, port: int) -> list[str]:
        assert host == NAME
        self.calls += 1
        return self.answer


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlWebhookStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'vidhost.db'}")
    migrate(engine)
    yield SqlWebhookStore(engine)
    engine.dispose()


def dispatcher(store: SqlWebhookStore, guard: UrlGuard) -> WebhookDispatcher:
    repo = SqlRepository(store.engine)
    filler = OutboxFiller(
        repo,
        repo,
        store,
        base_url="http://x",
        retry_for=60,
        formats=WebhookFormats("http://x"),
    )
    return WebhookDispatcher(store, filler, timeout=2, retry_base=60, guard=guard)


def queue_one(store: SqlWebhookStore, url: str) -> Delivery:
    endpoint = store.create_endpoint(
        owner="alice", url=url, secret="whsec_" + "a" * 32, events=[], description=None
    )
    store.enqueue(
        endpoint_id=endpoint.id,
        message_id="msg_1",
        source_event_id=1,
        event_type="video.asset.errored",
        video_id="v1",
        body='{"type":"video.asset.errored"}',
        retry_for=60,
    )
    (delivery,) = store.claim_due(limit=1, lease=30)
    return delivery


def test_rebinding_to_loopback_after_registration_is_blocked(store: SqlWebhookStore) -> None:
    with Listener() as listener:
        url = f"http://{NAME}:{listener.port}/hook"
        resolver = FlippingResolver("93.184.215.14")
        guard = UrlGuard(UrlPolicy(), resolver=resolver)
        guard.check(url)  # registration: the name is public now
        delivery = queue_one(store, url)

        resolver.answer = ["127.0.0.1"]  # ... and loopback when the webhook goes out
        sender = dispatcher(store, guard)
        try:
            sender.send(delivery)
        finally:
            sender.stop()

        assert resolver.calls == 2  # checked again at delivery time
        assert listener.connections == 0 and listener.requests == []
        (logged,) = store.deliveries(delivery.endpoint_id)
        assert logged.status == "pending" and logged.last_error == "blocked_address"
        assert [a.error for a in logged.attempt_log] == ["blocked_address"]


def test_delivery_connects_to_the_checked_address_with_the_name_as_host(
    store: SqlWebhookStore,
) -> None:
    """The positive control: with loopback allowed, the request reaches an address the
    guard checked (``.test`` has no DNS), carrying the endpoint's own host name. The first
    address refuses the connection (nothing listens on 127.0.0.2), the second takes it."""
    with Listener() as listener:
        url = f"http://{NAME}:{listener.port}/hook?x=1"
        resolver = FlippingResolver("127.0.0.2", "127.0.0.1")
        guard = UrlGuard(UrlPolicy.build(networks=["127.0.0.0/8"]), resolver=resolver)
        delivery = queue_one(store, url)
        sender = dispatcher(store, guard)
        try:
            sender.send(delivery)
        finally:
            sender.stop()
        assert listener.connections == 1
        assert listener.requests[0].headers["host"] == f"{NAME}:{listener.port}"
        (logged,) = store.deliveries(delivery.endpoint_id)
        assert logged.status == "succeeded" and logged.last_error is None
