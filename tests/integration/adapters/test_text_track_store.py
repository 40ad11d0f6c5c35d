"""The text-track store on SQLite and PostgreSQL (ADR 0068): every write and its event in
one transaction; ``finish`` only from ``preparing`` (one winner); ``delete`` once."""

from __future__ import annotations

from sqlalchemy import Engine

from vidhost.adapters.db.event_log import SqlEventLog
from vidhost.adapters.db.repository import SqlRepository
from vidhost.adapters.db.rows import SqlStore
from vidhost.adapters.db.text_tracks import SqlTextTrackStore
from vidhost.core.models import TEXT_TRACK_CHANGED, Video
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


def test_the_video_search_matches_the_words_of_ready_tracks(engine: Engine) -> None:
    """``list_videos(search=)`` (``GET /api/videos?q=``): the title, or the words of one of
    the video's ready tracks, uploaded or generated; not a preparing or errored one's, not
    a deleted track's, ignoring case, ``%``/``_`` literal (issue 22, transcript search)."""
    repo = SqlRepository(engine)
    for vid, title in (("v1", "Beach day"), ("v2", "Harbour"), ("v3", "Snow")):
        repo.add_video(Video(id=vid, owner="ann", title=title))
    store = SqlTextTrackStore(repo)
    store.add(
        TextTrack(new_id(), "v1", "en", "en", status="ready"),
        owner="ann",
        words="The GULLS fly\nover 100%_ of it\n",
    )
    generated = store.add(TextTrack(new_id(), "v2", "en", "en", generated=True), owner="ann")
    store.add(TextTrack(new_id(), "v3", "en", "en"), owner="ann", words="gulls preparing")
    failed = store.add(TextTrack(new_id(), "v3", "fr", "fr"), owner="ann")
    store.finish(failed, owner="ann", status="errored", error_code="invalid_caption")

    def found(q: str) -> list[str]:
        videos, total = repo.list_videos(owner="ann", search=q, oldest_first=True)
        assert total == len(videos)
        return [v.id for v in videos]

    assert found("gulls") == ["v1"]  # v3's track is not ready
    assert found("100%_") == ["v1"] and found("0%x") == []
    assert store.finish(generated, owner="ann", status="ready", words="Seagulls at dawn\n")
    assert found("GULLS") == ["v1", "v2"]
    assert found("harbour") == ["v2"]  # the title still
    assert found("dawn") == ["v2"]
    (track,) = store.of_video("v1")
    store.delete("v1", track.id, owner="ann")
    assert found("gulls") == ["v2"]
    assert repo.list_videos(owner="bob", search="gulls")[1] == 0
