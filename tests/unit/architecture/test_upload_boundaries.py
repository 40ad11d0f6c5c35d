"""The uploads package reaches the video domain only through its hooks (ADR 0070), and the
tus handler offers only what the upload-data store can do."""

from __future__ import annotations

from pathlib import Path

from tests.boundaries import imported_modules
from vidhost.ingest.tus.port import StoreComposer
from vidhost.ingest.tus.stores.file import FileStore

UPLOADS = Path(__file__).resolve().parents[3] / "vidhost" / "ingest" / "tus"
"""The tus engine (the ``uploads`` package before ADR 0076's layout)."""
HTTP_EDGE = {"routes.py"}
"""The engine's HTTP routes (in ``api/`` before ADR 0076): they may use ``vidhost.http``."""


def test_uploads_never_import_the_video_service() -> None:
    paths = sorted(UPLOADS.rglob("*.py"))
    assert len(paths) > 10, UPLOADS  # the check reads the real package
    for path in paths:
        modules = set(imported_modules(path))  # relative imports too
        assert "vidhost.core.videos" not in modules, path.name
        if path.name in HTTP_EDGE and path.parent == UPLOADS:
            continue
        assert not any(
            m.startswith(("vidhost.http", "vidhost.adapters.storage")) for m in modules
        ), path


class OnlyCore:
    """A store with the required protocol only."""

    def __init__(self, inner: FileStore) -> None:
        self.inner = inner
        self.create = inner.create
        self.writer = inner.writer
        self.size = inner.size
        self.finish = inner.finish


def test_the_composer_offers_only_the_capabilities_a_store_has(tmp_path: Path) -> None:
    full = StoreComposer.of(FileStore(tmp_path / "a"))
    assert {"termination", "concatenation", "creation-defer-length"} <= set(full.extensions())
    core = StoreComposer.of(OnlyCore(FileStore(tmp_path / "b")))  # type: ignore[arg-type]
    assert core.terminater is None and core.concater is None and core.length_deferrer is None
    assert core.extensions() == ["creation", "creation-with-upload", "checksum", "expiration"]
