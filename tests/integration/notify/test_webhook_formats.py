"""Webhook formats: an endpoint's format builds its bodies and signs its attempts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from vidhost.adapters.db.engine import make_engine, migrate
from vidhost.adapters.db.repository import SqlRepository
from vidhost.adapters.db.tables import events
from vidhost.core.models import DomainEvent, Video, utcnow
from vidhost.notify.webhooks.formats import WebhookFormats
from vidhost.notify.webhooks.outbox import OutboxFiller
from vidhost.notify.webhooks.sql_store import SqlWebhookStore


class Upper:
    """A test format: its own type names, body and header."""

    name = "mux"  # any name in FORMAT_NAMES
    event_types = ("ASSET.READY",)

    def types_for(self, public_type: str, event: DomainEvent, video: Video | None) -> list[str]:
        return ["ASSET.READY"] if public_type == "video.asset.ready" else []

    def body(
        self, event_type: str, message_id: str, event: DomainEvent, video: Video | None
    ) -> dict[str, Any]:
        return {"kind": event_type, "msg": message_id, "video": event.video_id}

    def headers(
        self,
        secret: str,
        message_id: str,
        timestamp: int,
        body: bytes,
        *,
        previous_secret: str | None = None,
    ) -> dict[str, str]:
        return {"x-upper": f"{secret}:{len(body)}"}


def test_each_endpoint_gets_its_formats_types_and_bodies(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    repo, store = SqlRepository(engine), SqlWebhookStore(engine)
    ours = store.create_endpoint(
        owner="u", url="http://a", secret="s" * 16, events=[], description=None
    )
    theirs = store.create_endpoint(
        owner="u", url="http://b", secret="t" * 16, events=[], description=None, format="mux"
    )
    assert store.get_endpoint(theirs.id).format == "mux"  # type: ignore[union-attr]
    assert ours.format == "vidhost"
    formats = WebhookFormats("http://x", [Upper()])
    filler = OutboxFiller(repo, repo, store, base_url="http://x", retry_for=60, formats=formats)
    filler.init_cursor()
    with engine.begin() as conn:
        for state in ("processing", "ready"):
            conn.execute(
                insert(events).values(
                    video_id="v1",
                    type="video.state",
                    data={"state": state, "owner": "u"},
                    created_at=utcnow(),
                )
            )
    assert filler.fill() == 4  # vidhost: upload.created, processing, ready; mux: ready
    mine = [d.event_type for d in store.deliveries(ours.id)]
    assert sorted(mine) == ["video.asset.processing", "video.asset.ready", "video.upload.created"]
    (delivery,) = store.deliveries(theirs.id)
    assert delivery.event_type == "ASSET.READY"
    assert json.loads(delivery.body) == {
        "kind": "ASSET.READY",
        "msg": delivery.message_id,
        "video": "v1",
    }
    fmt = formats.find("mux")
    assert fmt is not None and fmt.headers("k", "m", 1, b"abc") == {"x-upper": "k:3"}
    assert formats.find("cloudflare") is None  # not served: its endpoints get nothing
