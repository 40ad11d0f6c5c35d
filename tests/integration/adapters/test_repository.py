"""The SQL repository against real SQLite and real PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from vidhost.adapters.db.repository import SqlRepository
from vidhost.adapters.db.tables import tasks
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState, sources_of
from vidhost.core.models import Rendition, Video, utcnow
from vidhost.core.video_events import state_event, task_event


@pytest.fixture
def repo(engine: Engine) -> SqlRepository:  # engine: SQLite and PostgreSQL (conftest)
    return SqlRepository(engine)


def _video(
    repo: SqlRepository, video_id: str = "v1", state: VideoState = VideoState.UPLOADED
) -> Video:
    video = Video(id=video_id, owner="alice", state=state, tags=["a", "b"], metadata={"k": 1})
    repo.add_video(video, event=state_event(video, state))
    return video


def test_round_trip_keeps_every_field(repo: SqlRepository) -> None:
    _video(repo)
    repo.update_video(
        "v1",
        renditions=[Rendition("720p", 1280, 720, 3000000, "720p.m3u8")],
        duration=3.5,
        metadata={"session_id": "s"},
    )
    got = repo.get_video("v1")
    assert got is not None
    assert got.state is VideoState.UPLOADED
    assert got.renditions == [Rendition("720p", 1280, 720, 3000000, "720p.m3u8")]
    assert got.tags == ["a", "b"]
    assert got.metadata == {"session_id": "s"}
    assert got.duration == 3.5
    assert got.created_at.tzinfo is not None
    assert repo.get_video("missing") is None


def test_accepted_source_container_and_etag_round_trip(repo: SqlRepository) -> None:
    video = _video(repo, state=VideoState.UPLOADING)
    fmt = "mov,mp4,m4a,3gp,3g2,mj2"
    assert repo.change_state(
        video.id,
        VideoState.UPLOADED,
        expected=sources_of(VideoState.UPLOADED),
        event=state_event(video, VideoState.UPLOADED),
        source_format=fmt,
        source_etag='"abc-2"',
    )
    got = repo.get_video(video.id)
    assert got is not None and (got.source_format, got.source_etag) == (fmt, '"abc-2"')


def test_conditional_state_change_has_exactly_one_winner(repo: SqlRepository) -> None:
    video = _video(repo)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        results.append(
            repo.change_state(
                "v1",
                VideoState.PROCESSING,
                expected=sources_of(VideoState.PROCESSING),
                event=state_event(video, VideoState.PROCESSING),
            )
        )

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    # The event log holds the creation and the one transition that happened, in order.
    events = repo.events_after(0)
    assert [e.data["state"] for e in events] == ["uploaded", "processing"]
    assert events[0].id is not None and events[1].id is not None and events[0].id < events[1].id


def test_illegal_source_state_is_refused(repo: SqlRepository) -> None:
    video = _video(repo, state=VideoState.READY)
    changed = repo.change_state(
        "v1",
        VideoState.PROCESSING,
        expected=sources_of(VideoState.PROCESSING),
        event=state_event(video, VideoState.PROCESSING),
    )
    assert not changed
    got = repo.get_video("v1")
    assert got is not None and got.state is VideoState.READY
    assert len(repo.events_after(0)) == 1


def test_task_claim_is_exclusive_until_heartbeat_goes_stale(repo: SqlRepository) -> None:
    _video(repo)
    repo.ensure_task("v1", TaskKind.TRANSCODE)
    repo.ensure_task("v1", TaskKind.TRANSCODE)  # idempotent
    assert len(repo.list_tasks("v1")) == 1
    now = utcnow()
    assert repo.claim_task("v1", TaskKind.TRANSCODE, stale_before=now - timedelta(seconds=30))
    assert not repo.claim_task("v1", TaskKind.TRANSCODE, stale_before=now - timedelta(seconds=30))
    # A heartbeat older than the threshold lets another worker take it over.
    assert repo.claim_task("v1", TaskKind.TRANSCODE, stale_before=utcnow() + timedelta(seconds=1))
    task = repo.get_task("v1", TaskKind.TRANSCODE)
    assert task is not None and task.attempts == 2 and task.status is TaskStatus.PROCESSING

    repo.update_task(
        "v1",
        TaskKind.TRANSCODE,
        status=TaskStatus.COMPLETED,
        progress=100.0,
        event=task_event("v1", TaskKind.TRANSCODE, TaskStatus.COMPLETED, 100.0),
    )
    assert not repo.claim_task("v1", TaskKind.TRANSCODE, stale_before=utcnow() + timedelta(days=1))


def _lost(repo: SqlRepository, *, after: float, queue_empty: bool, redelivers: bool) -> set:
    stale_before = utcnow() + timedelta(seconds=after)
    found = repo.lost_tasks(
        stale_before=stale_before, queue_empty=queue_empty, redelivers=redelivers
    )
    return {(t.video_id, t.kind.value, t.part) for t in found}


def _dispatches(repo: SqlRepository, video_id: str, kind: TaskKind, part: int = 0) -> int:
    with repo.engine.connect() as conn:
        return int(
            conn.execute(
                select(tasks.c.dispatches).where(
                    tasks.c.video_id == video_id, tasks.c.kind == kind.value, tasks.c.part == part
                )
            ).scalar_one()
        )


def test_lost_tasks_are_only_those_no_message_can_reach(repo: SqlRepository) -> None:
    """ADR 0073: pending work waiting in a non-empty queue is never lost; a dead holder's
    task is lost at once on Redis (it consumed the last message), and on a redelivering
    broker only when nothing waits in the queue."""
    for vid in ("a", "b", "c"):
        _video(repo, vid)
        repo.ensure_task(vid, TaskKind.TRANSCODE)
    repo.claim_task("b", TaskKind.TRANSCODE, stale_before=utcnow())  # b: its holder (dies)
    repo.update_task(
        "c",
        TaskKind.TRANSCODE,
        status=TaskStatus.COMPLETED,
        progress=100.0,
        event=task_event("c", TaskKind.TRANSCODE, TaskStatus.COMPLETED, 100.0),
    )
    t = TaskKind.TRANSCODE.value
    # Nothing is lost while dispatches and heartbeats are recent.
    for empty in (True, False):
        for redelivers in (True, False):
            assert _lost(repo, after=-3600, queue_empty=empty, redelivers=redelivers) == set()
    later = 1.0  # every dispatch and heartbeat is now older than the stale window
    assert _lost(repo, after=later, queue_empty=True, redelivers=True) == {("a", t, 0), ("b", t, 0)}
    assert _lost(repo, after=later, queue_empty=False, redelivers=True) == set()  # in the queue
    assert _lost(repo, after=later, queue_empty=False, redelivers=False) == {("b", t, 0)}
    # A worker holding a redelivered message of b renews the lease: b is not lost meanwhile.
    repo.hold_dispatch("b", TaskKind.TRANSCODE)
    assert _lost(repo, after=-1, queue_empty=True, redelivers=False) == set()


def test_a_transcode_waiting_for_its_parts_is_not_lost(repo: SqlRepository) -> None:
    _video(repo, "v")
    repo.ensure_task("v", TaskKind.TRANSCODE)
    repo.claim_task("v", TaskKind.TRANSCODE, stale_before=utcnow())
    repo.ensure_task("v", TaskKind.TRANSCODE_CHUNK, part=0)
    found = _lost(repo, after=1.0, queue_empty=True, redelivers=False)
    assert found == {("v", TaskKind.TRANSCODE_CHUNK.value, 0)}  # the part, not its transcode


def test_one_of_many_reconcilers_takes_the_redispatch(repo: SqlRepository) -> None:
    _video(repo, "v")
    repo.ensure_task("v", TaskKind.TRANSCODE)
    assert _dispatches(repo, "v", TaskKind.TRANSCODE) == 1
    with repo.engine.begin() as conn:  # sent an hour ago, never claimed
        conn.execute(update(tasks).values(dispatched_at=utcnow() - timedelta(hours=1)))
    stale_before = utcnow() - timedelta(seconds=5)
    won: list[bool] = []
    barrier = threading.Barrier(4)

    def lease() -> None:
        barrier.wait()
        won.append(
            repo.lease_redispatch(
                "v",
                TaskKind.TRANSCODE,
                stale_before=stale_before,
                queue_empty=True,
                redelivers=True,
            )
        )

    threads = [threading.Thread(target=lease) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(won) == [False, False, False, True]
    assert _dispatches(repo, "v", TaskKind.TRANSCODE) == 2


def test_listing_and_ready_ids(repo: SqlRepository) -> None:
    for i, state in enumerate([VideoState.UPLOADED, VideoState.READY, VideoState.FAILED]):
        _video(repo, f"v{i}", state)
    repo.update_video("v1", manifest_key="videos/v1/hls/master.m3u8")
    assert repo.ready_video_ids() == ["v1"]
    videos, total = repo.list_videos(owner="alice", limit=2)
    assert total == 3 and len(videos) == 2
    failed, n = repo.list_videos(owner="alice", states=[VideoState.FAILED])
    assert n == 1 and failed[0].id == "v2"
    assert repo.list_videos(owner="bob")[1] == 0


def test_a_late_result_from_a_lost_claim_is_refused(repo: SqlRepository) -> None:
    """Fencing: once another worker took the task over, the first one's heartbeat, progress
    and result are refused; the new holder's are accepted."""
    _video(repo)
    kind = TaskKind.TRANSCODE_CHUNK
    repo.ensure_task("v1", kind, part=3)
    first = repo.claim_task("v1", kind, part=3, stale_before=utcnow() - timedelta(seconds=30))
    assert first is not None
    assert repo.heartbeat("v1", kind, part=3, token=first)
    # The first worker stalls; its heartbeat goes stale and a second worker takes over.
    second = repo.claim_task("v1", kind, part=3, stale_before=utcnow() + timedelta(seconds=1))
    assert second is not None and second != first

    def write(token: str, status: TaskStatus) -> bool:
        return repo.update_task(
            "v1", kind, part=3, token=token, status=status, progress=100.0, event=None
        )

    assert not repo.heartbeat("v1", kind, part=3, token=first)
    assert not write(first, TaskStatus.PROCESSING)
    assert not write(first, TaskStatus.COMPLETED)
    task = repo.get_task("v1", kind, part=3)
    assert task is not None and task.status is TaskStatus.PROCESSING
    assert task.claim_token == second and task.attempts == 2
    assert repo.heartbeat("v1", kind, part=3, token=second)
    assert write(second, TaskStatus.COMPLETED)
    assert not write(second, TaskStatus.FAILED)  # done: the claim ended with it
    task = repo.get_task("v1", kind, part=3)
    assert task is not None and task.status is TaskStatus.COMPLETED


def test_chunk_tasks_are_keyed_by_part_and_not_listed(repo: SqlRepository) -> None:
    _video(repo)
    repo.ensure_task("v1", TaskKind.TRANSCODE)
    for part in range(3):
        repo.ensure_task("v1", TaskKind.TRANSCODE_CHUNK, part=part)
    repo.ensure_task("v1", TaskKind.TRANSCODE_CHUNK, part=1)  # idempotent
    repo.ensure_task("v1", TaskKind.TRANSCODE_AUDIO)
    assert [t.kind for t in repo.list_tasks("v1")] == [TaskKind.TRANSCODE]
    parts = repo.list_parts("v1", [TaskKind.TRANSCODE_CHUNK, TaskKind.TRANSCODE_AUDIO])
    assert [(t.kind, t.part) for t in parts] == [
        (TaskKind.TRANSCODE_AUDIO, 0),
        (TaskKind.TRANSCODE_CHUNK, 0),
        (TaskKind.TRANSCODE_CHUNK, 1),
        (TaskKind.TRANSCODE_CHUNK, 2),
    ]
    stale = utcnow() - timedelta(seconds=30)
    tokens = {
        p: repo.claim_task("v1", TaskKind.TRANSCODE_CHUNK, part=p, stale_before=stale)
        for p in range(3)
    }
    assert all(tokens.values()) and len(set(tokens.values())) == 3
    # Parts emit no events of their own: only the transcode's pending event is logged.
    kinds = [e.data.get("kind") for e in repo.events_after(0) if e.type == "task.progress"]
    assert kinds == ["transcode"]


def test_a_request_records_its_rendition(repo: SqlRepository) -> None:
    """ADR 0062: the first chunk encodes the rung of the latest request next."""
    _video(repo)
    repo.ensure_task("v1", TaskKind.TRANSCODE_CHUNK, part=0)
    assert repo.request_part("v1", TaskKind.TRANSCODE_CHUNK, 0, "720p")
    row = repo.get_task("v1", TaskKind.TRANSCODE_CHUNK, part=0)
    assert row is not None and row.requested_rendition == "720p" and row.requested_at
    assert repo.request_part("v1", TaskKind.TRANSCODE_CHUNK, 0, "1080p")  # the latest wins
    row = repo.get_task("v1", TaskKind.TRANSCODE_CHUNK, part=0)
    assert row is not None and row.requested_rendition == "1080p"


def test_a_forward_progress_report_never_moves_it_back(repo: SqlRepository) -> None:
    """Parts finishing at once count the stored segments a moment apart and may write in the
    other order: a ``forward`` report that would lower the progress is refused."""
    _video(repo)
    repo.ensure_task("v1", TaskKind.TRANSCODE)

    def report(progress: float) -> bool:
        return repo.update_task(
            "v1",
            TaskKind.TRANSCODE,
            status=TaskStatus.PROCESSING,
            progress=progress,
            event=None,
            forward=True,
        )

    assert report(50.0)
    assert not report(0.0)  # a count made before the 50 % one
    assert not report(50.0)  # nothing new: no second event either
    assert report(75.0)
    row = repo.get_task("v1", TaskKind.TRANSCODE)
    assert row is not None and row.progress == 75.0


def test_a_chunk_claim_takes_the_chunk_wanted_most(repo: SqlRepository) -> None:
    """ADR 0061: requested chunks first (latest request first), then the chunks after the
    latest requested one, then index order; a done or running chunk is never taken."""
    _video(repo)
    for part in range(6):
        repo.ensure_task("v1", TaskKind.TRANSCODE_CHUNK, part=part)
    stale = utcnow() - timedelta(seconds=30)

    def claim() -> int | None:
        got = repo.claim_next_part("v1", TaskKind.TRANSCODE_CHUNK, stale_before=stale)
        return None if got is None else got[0]

    assert claim() == 0  # nobody asked: index order
    assert repo.request_part("v1", TaskKind.TRANSCODE_CHUNK, 2)
    time.sleep(0.01)
    assert repo.request_part("v1", TaskKind.TRANSCODE_CHUNK, 4)  # a later seek
    assert not repo.request_part("v1", TaskKind.TRANSCODE_CHUNK, 9)  # no such part
    assert claim() == 4  # the latest request
    assert claim() == 2  # the earlier one
    assert claim() == 5  # after the latest requested chunk (ahead of the playhead)
    assert claim() == 1  # then the rest, by index
    assert claim() == 3
    assert claim() is None  # every chunk is claimed (running, heartbeat fresh)
    row = repo.get_task("v1", TaskKind.TRANSCODE_CHUNK, part=4)
    assert row is not None and row.requested_at is not None and row.claim_token
    # A chunk whose worker went silent is claimable again.
    later = utcnow() + timedelta(seconds=1)
    got = repo.claim_next_part("v1", TaskKind.TRANSCODE_CHUNK, stale_before=later)
    assert got is not None and got[0] == 4


def test_cancel_tasks_fails_the_unfinished_and_fences_out_their_workers(
    repo: SqlRepository,
) -> None:
    _video(repo)
    for part in range(3):
        repo.ensure_task("v1", TaskKind.TRANSCODE_CHUNK, part=part)
    stale = utcnow() - timedelta(seconds=30)
    token = repo.claim_task("v1", TaskKind.TRANSCODE_CHUNK, part=1, stale_before=stale)
    repo.update_task("v1", TaskKind.TRANSCODE_CHUNK, status=TaskStatus.COMPLETED, progress=100,
                     event=None, part=2)  # fmt: skip
    assert repo.cancel_tasks("v1", code="video_deleted", error="deleted") == 2
    assert not repo.heartbeat("v1", TaskKind.TRANSCODE_CHUNK, part=1, token=token)
    assert not repo.update_task("v1", TaskKind.TRANSCODE_CHUNK, status=TaskStatus.PROCESSING,
                                progress=50, event=None, part=1, token=token)  # fmt: skip
    statuses = [t.status for t in repo.list_parts("v1", [TaskKind.TRANSCODE_CHUNK])]
    assert statuses == [TaskStatus.FAILED, TaskStatus.FAILED, TaskStatus.COMPLETED]
    assert repo.claim_next_part("v1", TaskKind.TRANSCODE_CHUNK, stale_before=utcnow()) is None


def test_awaiting_direct_uploads_skips_client_fields_and_other_uploads(
    repo: SqlRepository,
) -> None:
    """The upload watcher's query (every 2 s): direct uploads only, no metadata loaded."""
    big = {"note": "x" * 15000}
    direct = Video(id="d1", owner="alice", state=VideoState.CREATED, metadata=big, tags=["t"])
    direct.upload_expires_at = utcnow() + timedelta(hours=1)
    direct.source_key = "videos/d1/source"
    tus = Video(id="t1", owner="alice", state=VideoState.UPLOADING, metadata=big)
    for video in (direct, tus):
        repo.add_video(video, event=state_event(video, video.state))
    _video(repo, "done", VideoState.UPLOADED)
    repo.update_video("done", upload_expires_at=utcnow())

    (found,) = repo.awaiting_direct_uploads()
    assert found.id == "d1" and found.source_key == "videos/d1/source"
    assert found.state is VideoState.CREATED and found.upload_expires_at is not None
    assert found.metadata == {} and found.tags == []
    full = repo.get_video("d1")
    assert full is not None and full.metadata == big  # only the lean read leaves it out


def test_a_request_stamps_the_chunks_ahead_of_it_a_notch_below(repo: SqlRepository) -> None:
    """ADR 0064: a request in chunk c stamps c+1 and c+2 too, so a reader faster than real
    time finds them encoded: claimed right after c, in order, before any older request; a
    later request is never moved back (nor its rung changed), and a done chunk is not
    stamped."""
    _video(repo)
    for part in range(8):
        repo.ensure_task("v1", TaskKind.TRANSCODE_CHUNK, part=part)
    stale = utcnow() - timedelta(seconds=30)
    assert repo.claim_task("v1", TaskKind.TRANSCODE_CHUNK, part=0, stale_before=stale)
    repo.update_task(
        "v1", TaskKind.TRANSCODE_CHUNK, status=TaskStatus.COMPLETED, progress=100, event=None
    )
    assert repo.request_part("v1", TaskKind.TRANSCODE_CHUNK, 6, "240p")  # an older request
    time.sleep(0.01)
    assert repo.request_part("v1", TaskKind.TRANSCODE_CHUNK, 2, "360p", ahead=2)
    rows = {t.part: t for t in repo.list_parts("v1", [TaskKind.TRANSCODE_CHUNK])}
    assert rows[0].requested_at is None  # done: never stamped
    assert rows[2].requested_at > rows[3].requested_at > rows[4].requested_at  # type: ignore[operator]
    # a reader reads one rung on: the chunks ahead name it (each encodes it alone first)
    assert rows[3].requested_rendition == rows[4].requested_rendition == "360p"
    assert rows[5].requested_at is None and rows[1].requested_at is None
    order = []
    while claimed := repo.claim_next_part("v1", TaskKind.TRANSCODE_CHUNK, stale_before=stale):
        order.append(claimed[0])
    assert order[:4] == [2, 3, 4, 6], order  # the request, the two ahead, then the older one
    # A stamp ahead never moves a later request back.
    _video(repo, "v2")
    for part in range(3):
        repo.ensure_task("v2", TaskKind.TRANSCODE_CHUNK, part=part)
    assert repo.request_part("v2", TaskKind.TRANSCODE_CHUNK, 2, "360p")
    with repo.engine.begin() as conn:  # a request a moment after the one below
        conn.execute(
            update(tasks)
            .where(tasks.c.video_id == "v2", tasks.c.part == 2)
            .values(requested_at=utcnow() + timedelta(seconds=1))
        )
    later = repo.get_task("v2", TaskKind.TRANSCODE_CHUNK, part=2)
    assert repo.request_part("v2", TaskKind.TRANSCODE_CHUNK, 1, ahead=2)  # older stamp for 2
    again = repo.get_task("v2", TaskKind.TRANSCODE_CHUNK, part=2)
    assert later is not None and again is not None
    assert again.requested_at == later.requested_at and again.requested_rendition == "360p"
