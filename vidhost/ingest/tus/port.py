"""The upload-data port: where upload bytes live until the upload is complete (ADR 0070).

Modelled on tusd's ``DataStore`` and ``composer.go``: every store implements the small
``UploadStore`` protocol (create, write at the committed offset, size, finish); what else a
store can do is an optional capability (``Terminater``, ``Concater``, ``LengthDeferrer``),
resolved once, at start-up, into a ``StoreComposer``. The tus handler offers only the
extensions the composer has.

A store may keep a small JSON record per upload (``Upload.store``: an S3 multipart id, its
parts, a pending tail). The service commits that record in the same statement as the offset,
so what HEAD reports and what the store holds never disagree, on any node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from vidhost.core.ports import Storage
from vidhost.core.upload_models import Upload

StoreState = dict[str, Any] | None


class Writer(Protocol):
    """One request's bytes, appended at the upload's committed offset.

    ``write`` runs on the event loop and must be cheap (page cache, an in-memory buffer);
    when ``due()`` says so the caller runs ``flush`` in a thread before writing more. ``sync``
    (in a thread) makes everything durable and returns the store state to commit with the new
    offset ``start + written``; nothing is visible to HEAD before that commit.
    """

    start: int
    written: int

    def write(self, data: bytes | bytearray) -> None: ...

    def due(self) -> bool: ...

    def flush(self) -> None: ...

    def sync(self) -> StoreState: ...

    def committed(self) -> None:
        """The new offset is committed: drop what the old state needed (best effort)."""
        ...

    def discard(self) -> None:
        """Forget this request's bytes (only called while the upload lock is still ours)."""
        ...

    def close(self) -> None: ...


class UploadStore(Protocol):
    """The required part of every store."""

    def create(self, upload: Upload, target_key: str) -> StoreState:
        """Prepare storage for a new upload whose bytes end up at ``target_key``."""
        ...

    def writer(self, upload: Upload, *, expected: int | None) -> Writer:
        """A writer at ``upload.offset`` (``expected``: the request's Content-Length)."""
        ...

    def size(self, upload: Upload) -> int:
        """Bytes durably stored for the upload's committed state."""
        ...

    def finish(self, upload: Upload, storage: Storage, key: str) -> None:
        """Hand the complete bytes over to ``storage`` at ``key`` (idempotent)."""
        ...


@runtime_checkable
class Terminater(Protocol):
    def terminate(self, upload: Upload) -> None:
        """Remove every byte the store holds for the upload (termination, expiry)."""
        ...


@runtime_checkable
class Concater(Protocol):
    def concatenate(self, final: Upload, parts: list[Upload], target_key: str) -> StoreState:
        """Assemble the complete ``parts`` in order into ``final`` (server-side)."""
        ...


@runtime_checkable
class LengthDeferrer(Protocol):
    def declare_length(self, upload: Upload, length: int) -> None:
        """The length of a deferred-length upload became known."""
        ...


@dataclass(frozen=True)
class StoreComposer:
    """A store and the capabilities it has, resolved once (tusd's ``StoreComposer``)."""

    core: UploadStore
    terminater: Terminater | None = None
    concater: Concater | None = None
    length_deferrer: LengthDeferrer | None = None

    @classmethod
    def of(cls, store: UploadStore) -> StoreComposer:
        return cls(
            core=store,
            terminater=store if isinstance(store, Terminater) else None,
            concater=store if isinstance(store, Concater) else None,
            length_deferrer=store if isinstance(store, LengthDeferrer) else None,
        )

    def extensions(self) -> list[str]:
        """The tus extensions this store supports (the protocol side adds the rest)."""
        found = ["creation", "creation-with-upload", "checksum", "expiration"]
        if self.length_deferrer is not None:
            found.append("creation-defer-length")
        if self.terminater is not None:
            found.append("termination")
        if self.concater is not None:
            found.append("concatenation")
        return found
