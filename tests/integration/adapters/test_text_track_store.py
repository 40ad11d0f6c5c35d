"""The text-track store on SQLite and PostgreSQL (ADR 0068): every write and its event in
one transaction; ``finish`` only from ``preparing`` (one winner); ``delete`` once."""

from __future__ import annotations

from sqlalchemy import Engine

from vidhost.adapters.db.event_log import SqlEventLog
from vidhost.adapters.db.rows import SqlStore
from vidhost.adapters.db.text_tracks import SqlTextTrackStore
from vidhost.core.models import TEXT_TRACK_CHANGED
from vidhost.core.text_tracks import TextTrack, new_id


def test_add_finish_delete_with_their_events(engine: Engine) -> None:
    store = SqlTextTrackStore(SqlStore(engine))
    first = store.add(TextTrack(new_id(), "v1", "en", "English", status="ready"), owner="ann")
    pending = store.add(TextTrack(new_id(), "v1", "fr", "Français", generated=True), owner="ann")
    store.add(TextTrack(new_id(), "v2", "de", "Deutsch"), owner="bob")
    assert [t.id for t in store.of_video("v1")] == [first.id, pending.id]
    done = store.finish(pending, owner="ann", status="ready", cues=3, detected_language="it")
    assert done is not None and (done.status, done.cues, done.detected_language) == (
        "ready",
        3,
        "it",
    )
    assert store.finish(pending, owner="ann", status="errored") is None  # not preparing now
    stored = store.get("v1", pending.id)
    assert stored is not None and stored.status == "ready" and stored.generated
    assert store.get("v2", pending.id) is None  # another video's id
    assert store.delete("v1", first.id, owner="ann") is not None
    assert store.delete("v1", first.id, owner="ann") is None
    events = [e for e in SqlEventLog(engine).events_after(0) if e.type == TEXT_TRACK_CHANGED]
    assert [(e.data["id"], e.data["change"]) for e in events if e.video_id == "v1"] == [
        (first.id, "created"),
        (first.id, "ready"),
        (pending.id, "created"),
        (pending.id, "ready"),
        (first.id, "deleted"),
    ]
    assert events[-1].data["owner"] == "ann"
