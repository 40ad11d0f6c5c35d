"""Delivers the webhook outbox: signed POSTs, exponential backoff for 24 h, every attempt logged.

Runs in each API process as one thread (fill the outbox, lease due deliveries) plus a small
pool of sender threads, so a slow endpoint delays neither processing nor other endpoints.
Deliveries are leased (``locked_until``) so several API processes never send the same
attempt twice; a lease left by a crashed process expires and the delivery is retried.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx

from vidhost.adapters import metrics
from vidhost.adapters.net.url_guard import (
    ForbiddenUrl,
    InvalidUrl,
    UrlGuard,
    host_header,
    pinned_url,
)
from vidhost.core.models import WEBHOOK_EVENTS, DomainEvent, utcnow
from vidhost.core.ports import EventBus
from vidhost.core.webhook_store import WebhookStore
from vidhost.core.webhooks import (
    BLOCKED_ADDRESS,
    CONNECTION_FAILED,
    ENDPOINT_DISABLED,
    REDIRECT_NOT_FOLLOWED,
    TIMEOUT,
    TLS_ERROR,
    Attempt,
    Delivery,
    Endpoint,
)
from vidhost.notify.webhooks.outbox import OutboxFiller

log = logging.getLogger(__name__)

MAX_DELAY = 3600.0
MAX_ADDRESSES = 3
"""Checked addresses of an endpoint tried in one attempt when connecting fails."""


def retry_at(attempts: int, now: datetime, expires_at: datetime, base: float) -> datetime | None:
    """When to try again after ``attempts`` failures: ``base * 2^(attempts-1)`` (capped at
    1 h, +-10 % jitter), never later than ``expires_at``; None once it has passed."""
    if now >= expires_at:
        return None
    delay = min(base * 2 ** max(0, attempts - 1), MAX_DELAY) * random.uniform(0.9, 1.1)
    return min(now + timedelta(seconds=delay), expires_at)


class WebhookDispatcher:
    def __init__(
        self,
        store: WebhookStore,
        filler: OutboxFiller,
        *,
        timeout: float,
        retry_base: float,
        guard: UrlGuard | None = None,
        senders: int = 4,
        idle_interval: float = 0.5,
        wake: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.guard = guard or UrlGuard()
        self.filler = filler
        self.timeout = timeout
        self.retry_base = retry_base
        self.senders = senders
        self.idle_interval = idle_interval
        self.wake = wake or threading.Event()
        """Set it to look at the outbox now (a resend, an event on the bus)."""
        self._stop = threading.Event()
        self._inflight = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(senders, thread_name_prefix="vidhost-webhook")
        # No keep-alive: each attempt connects to the address it has just checked, and a
        # pooled TLS connection must never carry a request for another host name.
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,
        )
        self._thread = threading.Thread(target=self._loop, name="vidhost-outbox", daemon=True)
        self._unsubscribe: list[Callable[[], None]] = []

    def attach(self, bus: EventBus) -> None:
        """Wake up as soon as the bus carries an event (instead of at the next idle tick)."""

        def on_event(event: DomainEvent) -> None:
            if event.type in WEBHOOK_EVENTS:  # task progress makes no webhook
                self.wake.set()

        self._unsubscribe.append(bus.subscribe(on_event))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def run_once(self) -> int:
        self.filler.fill()
        with self._lock:
            free = self.senders - self._inflight
        if free <= 0:
            return 0
        due = self.store.claim_due(limit=free, lease=self.timeout * 2 + 5)
        for delivery in due:
            with self._lock:
                self._inflight += 1
            self._pool.submit(self._send_guarded, delivery)
        return len(due)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.run_once():
                    continue
            except Exception:
                log.exception("webhook outbox pass failed")
            self.wake.wait(self.idle_interval)
            self.wake.clear()

    def _send_guarded(self, delivery: Delivery) -> None:
        try:
            self.send(delivery)
        except Exception:
            log.exception("webhook delivery %s crashed", delivery.id)
        finally:
            with self._lock:
                self._inflight -= 1
            self.wake.set()

    def send(self, delivery: Delivery) -> None:
        endpoint = self.store.get_endpoint(delivery.endpoint_id)
        now = utcnow()
        if endpoint is None or not endpoint.enabled:
            attempt = Attempt(now, None, 0.0, ENDPOINT_DISABLED)
            self.store.record_attempt(delivery, attempt, succeeded=False, next_attempt_at=None)
            return
        fmt = self.filler.formats.find(endpoint.format)
        if fmt is None:  # registered on a node that serves a format this one does not
            log.warning(
                "webhook endpoint %s: format %r not served here", endpoint.id, endpoint.format
            )
            return  # the lease lapses; a node that serves the format sends it
        body = delivery.body.encode()
        headers = fmt.headers(
            endpoint.secret,
            delivery.message_id,
            int(time.time()),
            body,
            previous_secret=endpoint.previous_secret_at(now),
        )
        started = time.perf_counter()
        status, error = self._post(endpoint, body, headers)
        latency = (time.perf_counter() - started) * 1000
        ok = error is None
        attempt = Attempt(now, status, round(latency, 1), error)
        next_at = (
            None
            if ok
            else retry_at(delivery.attempts + 1, utcnow(), delivery.expires_at, self.retry_base)
        )
        self.store.record_attempt(delivery, attempt, succeeded=ok, next_attempt_at=next_at)
        metrics.webhook_attempt(error)
        level = logging.INFO if ok else logging.WARNING
        log.log(level, "webhook %s %s -> %s", delivery.event_type, endpoint.url, error or status)

    def _post(
        self, endpoint: Endpoint, body: bytes, headers: dict[str, str]
    ) -> tuple[int | None, str | None]:
        """POST once; ``(status, outcome)``: outcome None on a 2xx, else one of ``OUTCOMES``
        or ``http_<status>``. Exception detail goes to the server log, never to the outcome.

        An API-registered endpoint is resolved and checked now, and the request goes to a
        checked address (the next one only if connecting to one failed), never to whatever
        DNS answers at connect time (ADR 0052)."""
        if endpoint.owner is None:  # the operator's VIDHOST_WEBHOOK_URL is trusted
            return self._attempt(endpoint, [endpoint.url], headers, {}, body)
        try:
            resolved = self.guard.check(endpoint.url)
        except (ForbiddenUrl, InvalidUrl) as exc:
            log.warning("webhook endpoint %s refused: %s", endpoint.id, exc.message)
            return None, BLOCKED_ADDRESS
        target = resolved.target
        urls = [pinned_url(target, address) for address in resolved.addresses[:MAX_ADDRESSES]]
        headers = {**headers, "host": host_header(target)}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        return self._attempt(endpoint, urls, headers, extensions, body)

    def _attempt(
        self,
        endpoint: Endpoint,
        urls: list[str],
        headers: dict[str, str],
        extensions: dict[str, str],
        body: bytes,
    ) -> tuple[int | None, str | None]:
        outcome = CONNECTION_FAILED
        for url in urls:
            try:
                response = self._client.post(
                    url, content=body, headers=headers, extensions=extensions
                )
                break
            except httpx.TimeoutException:
                return None, TIMEOUT
            except httpx.ConnectError as exc:  # not connected: the next address may be
                log.info("webhook endpoint %s: %s: %s", endpoint.id, type(exc).__name__, exc)
                outcome = TLS_ERROR if _is_tls_error(exc) else CONNECTION_FAILED
                if outcome == TLS_ERROR:
                    return None, outcome
            except httpx.HTTPError as exc:
                log.info("webhook endpoint %s: %s: %s", endpoint.id, type(exc).__name__, exc)
                return None, TLS_ERROR if _is_tls_error(exc) else CONNECTION_FAILED
        else:
            return None, outcome
        status = response.status_code
        if 200 <= status < 300:
            return status, None
        if 300 <= status < 400:
            return status, REDIRECT_NOT_FOLLOWED
        return status, f"http_{status}"


def _is_tls_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
