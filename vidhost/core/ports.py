"""Ports: what the domain needs from the outside world. Adapters implement these."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import DomainEvent, ServerKey, SigningKey, Task, Video

# --- storage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime
    etag: str


class Storage(Protocol):
    """Object storage addressed by ``/``-separated keys. Missing keys raise FileNotFoundError."""

    def put_file(
        self, key: str, path: Path, *, move: bool = False, content_type: str | None = None
    ) -> ObjectInfo: ...

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str | None = None
    ) -> ObjectInfo: ...

    def get_bytes(self, key: str) -> bytes: ...

    def stat(self, key: str) -> ObjectInfo: ...

    def iter_range(
        self, key: str, start: int = 0, end: int | None = None, *, chunk_size: int = 256 * 1024
    ) -> Iterator[bytes]:
        """Bytes ``start..end`` inclusive (``end=None``: to the end of the object)."""
        ...

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        """A local file holding the object for the duration of the ``with`` block."""
        ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int: ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]: ...


# Optional storage capabilities: small Protocols, declared by each adapter (``capabilities()``,
# ``StorageCapabilities``) and read once at start-up by the composition root.


@dataclass(frozen=True)
class PresignedRequest:
    """An HTTP request a client may send without credentials of its own."""

    url: str
    """Absolute for S3; for local storage a path on vidhost itself (``/storage/upload/...``)."""
    method: str
    headers: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class IncompleteUpload:
    """A multipart upload that was created but neither completed nor aborted."""

    key: str
    upload_id: str
    initiated: datetime


class PresignedUploads(Protocol):
    def presign_put(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        max_size: int | None = None,
    ) -> PresignedRequest:
        """A PUT scoped to ``key`` that stops working after ``expires_in`` seconds."""
        ...


class PresignedDownloads(Protocol):
    def presign_get(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        content_disposition: str | None = None,
    ) -> str:
        """A GET of ``key`` that stops working after ``expires_in`` seconds; the answer
        carries ``content_type`` and ``content_disposition`` when given (a download's file
        name, ADR 0065)."""
        ...


class MultipartUploads(Protocol):
    def create_multipart(self, key: str, *, content_type: str | None = None) -> str:
        """Start a multipart upload of ``key``; returns its upload id."""
        ...

    def presign_part(
        self, key: str, upload_id: str, part_number: int, *, expires_in: int
    ) -> PresignedRequest: ...

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> ObjectInfo:
        """Assemble ``(part_number, etag)`` parts into the object."""
        ...

    def abort_multipart(self, key: str, upload_id: str) -> None: ...

    def list_multipart(self, prefix: str = "") -> list[IncompleteUpload]: ...


@dataclass(frozen=True)
class StorageCapabilities:
    """What a storage backend can do beyond ``Storage``, declared by the adapter itself
    (tusd's ``StoreComposer``): each optional capability is the object that has it, or None.
    The composition root reads them once; nothing asks an adapter's class what it can do."""

    presigned_uploads: PresignedUploads | None = None
    """Clients PUT straight to the backend (S3); without it vidhost signs its own PUT URLs."""
    presigned_downloads: PresignedDownloads | None = None
    multipart: MultipartUploads | None = None
    """Clients upload parts straight to the backend, and resumable uploads keep their bytes
    in the backend's multipart uploads (any node serves any upload)."""
    local_files: bool = False
    """Objects are files on this machine: workers read sources in place (no source cache)."""


def capabilities_of(storage: Storage) -> StorageCapabilities:
    """What ``storage`` declares it can do (nothing beyond ``Storage`` if it declares nothing:
    a test double, say)."""
    declare = getattr(storage, "capabilities", None)
    return declare() if callable(declare) else StorageCapabilities()


# --- persistence -----------------------------------------------------------------------------


class VideoStore(Protocol):
    """The video records. The database is the source of truth; every write is its own
    committed transaction, with the event it causes. Only ``VideoService`` writes them
    (``tests/unit/architecture/test_one_way_in_boundaries.py``); anything may read them."""

    def add_video(self, video: Video, *, event: DomainEvent | None = None) -> None: ...

    def get_video(self, video_id: str) -> Video | None: ...

    def list_videos(
        self,
        *,
        owner: str | None = None,
        states: Sequence[VideoState] | None = None,
        limit: int = 50,
        offset: int = 0,
        search: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        oldest_first: bool = False,
    ) -> tuple[list[Video], int]:
        """Not deleted, newest first (``oldest_first``: oldest). ``search``: the title (or,
        untitled, the filename) contains it, ignoring case; ``created_after`` and
        ``created_before`` bound the creation time (exclusive)."""
        ...

    def awaiting_direct_uploads(self) -> list[Video]:
        """``created|uploading`` videos with an upload URL, without client-supplied fields."""
        ...

    def due_for_deletion(self, now: datetime, *, limit: int = 100) -> list[str]:
        """Videos not deleted whose ``delete_at`` is ``now`` or earlier (ADR 0094)."""
        ...

    def update_video(self, video_id: str, **fields: Any) -> None: ...

    def change_state(
        self,
        video_id: str,
        target: VideoState,
        *,
        expected: frozenset[VideoState],
        event: DomainEvent,
        **fields: Any,
    ) -> bool:
        """Set ``state=target`` only if the current state is in ``expected``; emit ``event``."""
        ...

    def ready_video_ids(self, *, viewer: str | None = None) -> list[str]:
        """Ready videos listed to ``viewer``: public ones, plus ``viewer``'s own."""
        ...


class TaskStore(Protocol):
    """The task rows of the videos: claims and their fence tokens, heartbeats, part
    priority, player requests, re-dispatch leases and dispatch marks (ADRs 0061, 0064,
    0073). Each write commits with the event it causes."""

    def ensure_task(self, video_id: str, kind: TaskKind, *, part: int = 0) -> Task:
        """The task row, created pending (with a pending event) if it did not exist."""
        ...

    def get_task(self, video_id: str, kind: TaskKind, *, part: int = 0) -> Task | None: ...

    def list_tasks(self, video_id: str) -> list[Task]:
        """The tasks surfaces show (without the parts of a task, ``INTERNAL_KINDS``)."""
        ...

    def list_parts(self, video_id: str, kinds: Sequence[TaskKind]) -> list[Task]:
        """Every row of ``kinds`` of the video, by kind and part."""
        ...

    def claim_task(
        self,
        video_id: str,
        kind: TaskKind,
        *,
        stale_before: datetime,
        part: int = 0,
        keep_progress: bool = False,
    ) -> str | None:
        """pending (or processing with a stale heartbeat) -> processing. Returns the claim's
        fence token, None if taken or done."""
        ...

    def claim_next_part(
        self, video_id: str, kind: TaskKind, *, stale_before: datetime
    ) -> tuple[int, str] | None:
        """Claim the most wanted claimable part of ``kind`` (requested first, then after the
        latest request, then by index; ADR 0061): ``(part, token)``, None if none."""
        ...

    def request_part(
        self,
        video_id: str,
        kind: TaskKind,
        part: int,
        rendition: str | None = None,
        *,
        ahead: int = 0,
    ) -> bool:
        """A player waits for this part (a segment of ``rendition``): stamp it so that it is
        claimed first, and its rendition encoded first where a part goes rung by rung; and
        the ``ahead`` parts after it, each just below the one before (ADR 0063)."""
        ...

    def cancel_tasks(self, video_id: str, *, code: str, error: str) -> int:
        """Fail the video's unfinished tasks and drop their claims (the video is deleted)."""
        ...

    def update_task(
        self,
        video_id: str,
        kind: TaskKind,
        *,
        status: TaskStatus,
        progress: float,
        event: DomainEvent | None,
        error_code: str | None = None,
        error: str | None = None,
        part: int = 0,
        token: str | None = None,
        only_if: TaskStatus | None = None,
        forward: bool = False,
        give_back: bool = False,
    ) -> bool:
        """Write status and progress; refused (False) when ``token`` no longer holds the claim
        or the row's status is not ``only_if``. ``give_back``: the run is not an attempt, and
        the request it served is dropped."""
        ...

    def heartbeat(
        self, video_id: str, kind: TaskKind, *, part: int = 0, token: str | None = None
    ) -> bool:
        """Record that the worker running this task is alive; False if its claim is lost."""
        ...

    def lost_tasks(
        self, *, stale_before: datetime, queue_empty: bool, redelivers: bool
    ) -> list[Task]:
        """Tasks no message can still reach (ADR 0073): the broker's queue is empty and the
        task is pending or processing with a heartbeat older than ``stale_before``, or
        (``redelivers`` False: the broker keeps a dead consumer's messages) its holder died
        after consuming its last message. Never one whose dispatch is recent."""
        ...

    def lease_redispatch(
        self,
        video_id: str,
        kind: TaskKind,
        *,
        part: int = 0,
        stale_before: datetime,
        queue_empty: bool,
        redelivers: bool,
    ) -> bool:
        """Take the right to send a lost task again (one caller of many wins)."""
        ...

    def hold_dispatch(self, video_id: str, kind: TaskKind, *, part: int = 0) -> None:
        """A worker holds a message of the task: no other copy is needed meanwhile."""
        ...

    def mark_dispatched(self, video_id: str, kind: TaskKind, *, part: int = 0) -> None:
        """One more message was sent for the task."""
        ...

    def lease_start(self, video_id: str, *, before: datetime) -> bool:
        """Take the right to start an uploaded video without task rows (one caller wins)."""
        ...

    def uploaded_without_tasks(self, *, before: datetime) -> list[str]:
        """Ids of videos uploaded before ``before`` that have no task rows."""
        ...


class EventLog(Protocol):
    """The append-only log of domain events, written in the transactions that cause them
    (ADR 2) and read by id (the log tail, the webhook outbox)."""

    def events_after(self, event_id: int, *, limit: int = 500) -> list[DomainEvent]: ...

    def add_event(self, event: DomainEvent) -> None:
        """Append an event that goes with no row change (``segments.stored``)."""
        ...

    def events_with_ids(self, ids: Sequence[int]) -> list[DomainEvent]:
        """Events by id (to pick up ids that committed after later ones)."""
        ...

    def last_event_id(self) -> int: ...


class VideoRepository(VideoStore, TaskStore, EventLog, Protocol):
    """All three over one database: what the composition root builds (``SqlRepository``) and
    hands out, each consumer typed with the one narrow port it uses."""


class SigningKeyRepository(Protocol):
    """Playback signing keys (users') and the server's own playback key."""

    def add_key(self, key: SigningKey) -> None: ...

    def get_key(self, key_id: str) -> SigningKey | None:
        """The key, deleted ones included (``public_pem`` is then ``None``)."""
        ...

    def list_keys(self, owner: str) -> list[SigningKey]:
        """``owner``'s keys that are not deleted, oldest first."""
        ...

    def delete_key(self, key_id: str, *, owner: str) -> bool:
        """Mark ``owner``'s key deleted and drop its public key; False if there is none."""
        ...

    def server_key(self, create: Callable[[], ServerKey]) -> ServerKey:
        """The server key; the first caller stores ``create()`` (one winner across nodes)."""
        ...


# --- jobs and events -------------------------------------------------------------------------


class JobQueue(Protocol):
    def dispatch(self, video_id: str, kind: TaskKind, part: int = 0) -> None:
        """Send a task for execution. Called only after the rows it needs are committed."""
        ...


EventListener = Callable[[DomainEvent], None]


@runtime_checkable
class EventBus(Protocol):
    def publish(self, event: DomainEvent) -> None: ...

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        """Register ``listener``; returns a function that unsubscribes it."""
        ...


# --- media -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceInfo:
    """What probing a source file tells the domain."""

    duration: float
    width: int | None
    """``None`` (with ``height``, ``video_codec`` and ``fps``): an audio-only source (ADR 0066)."""
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    fps: float | None
    bitrate: int | None
    size_bytes: int
    source_format: str | None = None
    """The container, as the probe named it; later opens of the source are pinned to it."""
    source_probe: dict[str, Any] | None = None
    """The prober's whole result as JSON, opaque to the domain: kept on the video and handed
    to the tasks, which reuse it instead of probing again while the stored source's ETag is
    the accepted one (ADR 0090)."""


class Prober(Protocol):
    def probe(self, path: Path) -> SourceInfo:
        """Raise ``InvalidInput`` with a stable code: ``empty_file``, ``not_a_video`` (neither
        a video nor an audio stream: an audio file is an audio-only source, ADR 0066),
        ``corrupt_media``, a limit (``resolution_too_large``, ``duration_too_long``,
        ``frame_rate_too_high``, ``too_many_streams``) or ``probe_failed``/``probe_timeout``.

        Untrusted input: implementations read it away from the calling process, with bounds.
        """
        ...


class UrlFetcher(Protocol):
    """Server-side fetches of URLs an API user supplied (ADR 0052), for the surfaces that
    pull an input (Mux's ``POST /video/v1/assets``); ``vidhost.adapters.net.download.
    GuardedFetcher`` implements it over the URL guard."""

    def check(self, url: str) -> object:
        """Refuse a malformed (``invalid_url``) or not public (``url_forbidden``) URL, before
        anything is created for it."""
        ...

    def fetch(self, url: str, dest: Path, *, max_bytes: int, timeout: float) -> int:
        """Download ``url`` into ``dest`` (checked again as it connects, size-capped,
        ``timeout`` for the whole of it); the size. ``file_too_large``, ``download_failed``."""
        ...
