"""Fills the webhook outbox from the durable event log, exactly once per (event, endpoint).

A persisted cursor (``outbox_cursors``) records the last event id handled, so a restart
neither loses nor repeats work; the unique (endpoint, message id) constraint makes handling
an event twice harmless. The cursor never moves past a recent gap in the ids (a PostgreSQL
transaction that took a lower id and has not committed yet): the events after the gap are
handled again on the next pass until the gap fills or is older than ``gap_grace`` seconds.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from vidhost.core.models import WEBHOOK_EVENTS, DomainEvent, utcnow
from vidhost.core.ports import EventLog, VideoStore
from vidhost.core.webhook_store import WebhookStore
from vidhost.notify.webhooks import payload
from vidhost.notify.webhooks.formats import WebhookFormats

log = logging.getLogger(__name__)

CURSOR = "webhooks"


class OutboxFiller:
    def __init__(
        self,
        events: EventLog,
        videos: VideoStore,
        store: WebhookStore,
        *,
        base_url: str,
        retry_for: float,
        formats: WebhookFormats,
        gap_grace: float = 10.0,
        batch: int = 500,
    ) -> None:
        self.events = events
        self.videos = videos
        self.store = store
        self.base_url = base_url
        self.formats = formats
        self.retry_for = retry_for
        self.gap_grace = gap_grace
        self.batch = batch

    def init_cursor(self) -> None:
        """On the very first start, begin at the end of the log (history is not replayed)."""
        if self.store.cursor(CURSOR) is None:
            self.store.set_cursor(CURSOR, self.events.last_event_id())

    def fill(self) -> int:
        """Handle the events after the cursor; returns how many deliveries were queued."""
        cursor = self.store.cursor(CURSOR)
        if cursor is None:
            self.init_cursor()
            return 0
        events = self.events.events_after(cursor, limit=self.batch)
        young = utcnow() - timedelta(seconds=self.gap_grace)
        expected, new_cursor, blocked, queued = cursor + 1, cursor, False, 0
        for event in events:
            assert event.id is not None
            if event.id != expected and event.at > young:
                blocked = True
            queued += self._handle(event)
            expected = event.id + 1
            if not blocked:
                new_cursor = event.id
        if new_cursor != cursor:
            self.store.set_cursor(CURSOR, new_cursor)
        return queued

    def _handle(self, event: DomainEvent) -> int:
        assert event.id is not None
        owner = event.data.get("owner")
        if event.type not in WEBHOOK_EVENTS or not isinstance(owner, str):
            return 0
        endpoints = [e for e in self.store.endpoints_for(owner) if e.created_at <= event.at]
        if not endpoints:
            return 0
        first = self.store.first_event_of_video(event.video_id, event.id)
        types = payload.public_types(event, first_of_video=first)
        video = self.videos.get_video(event.video_id)
        queued = 0
        bodies: dict[tuple[str, str], str] = {}  # (format, type) -> body, built once
        for public_type in types:
            for endpoint in endpoints:
                fmt = self.formats.find(endpoint.format)
                if fmt is None:
                    log.warning(
                        "webhook endpoint %s: format %r not served", endpoint.id, endpoint.format
                    )
                    continue
                for event_type in fmt.types_for(public_type, event, video):
                    if not endpoint.wants(event_type):
                        continue
                    msg_id = payload.message_id(event.id, event_type)
                    key = (fmt.name, event_type)
                    if key not in bodies:
                        bodies[key] = payload.encode(fmt.body(event_type, msg_id, event, video))
                    queued += self.store.enqueue(
                        endpoint_id=endpoint.id,
                        message_id=msg_id,
                        source_event_id=event.id,
                        event_type=event_type,
                        video_id=event.video_id,
                        body=bodies[key],
                        retry_for=self.retry_for,
                    )
        return queued
