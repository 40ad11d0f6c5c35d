"""One way in (ADR 0090), read from the code: only ``VideoService`` writes video records
(their state above all) and accepts sources, and ``notify/webhooks/`` does not import the
database layer outside its store adapter."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.boundaries import imported_modules

VIDHOST = Path(__file__).resolve().parents[3] / "vidhost"
SERVICE = VIDHOST / "core" / "videos.py"
ACCEPTANCE = VIDHOST / "core" / "acceptance.py"
"""The source checks ``VideoService.accept_source`` runs (the probe at acceptance)."""
VIDEO_WRITES = {"add_video", "update_video"}
"""The ``VideoStore`` methods that write a video record (whatever name the store goes by),
with ``change_state`` called with ``expected=`` (the store's; the service's takes none)."""


def modules() -> Iterator[tuple[Path, ast.AST]]:
    for path in sorted(VIDHOST.rglob("*.py")):
        yield path, ast.parse(path.read_text())


def receiver(node: ast.expr) -> str:
    """The last name of a call's receiver: ``self.videos.repo`` -> ``repo``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def calls(tree: ast.AST, names: set[str]) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in names:
            yield node


def test_only_the_video_service_writes_video_records() -> None:
    offenders = []
    for path, tree in modules():
        if path == SERVICE or path.parent.name == "db":
            continue  # the service itself, and the repository that implements the writes
        for call in calls(tree, VIDEO_WRITES | {"change_state"}):
            assert isinstance(call.func, ast.Attribute)
            store_write = call.func.attr in VIDEO_WRITES or any(
                k.arg == "expected" for k in call.keywords
            )
            if store_write:
                offenders.append(f"{path.relative_to(VIDHOST)}:{call.lineno}")
    assert offenders == []


def test_direct_uploads_keep_no_repository() -> None:
    tree = ast.parse((VIDHOST / "ingest" / "presigned" / "service.py").read_text())
    assigned = [
        t.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Attribute)
    ]
    assert "repo" not in assigned


def test_only_the_video_service_probes_and_counts_uploads() -> None:
    """The probe at acceptance and the upload metrics live in ``accept_source`` alone (the
    tasks read the kept probe through ``processing/probing.py``)."""
    offenders = []
    for path, tree in modules():
        if path in (SERVICE, ACCEPTANCE):
            continue
        for call in calls(tree, {"upload_finished", "probe"}):
            assert isinstance(call.func, ast.Attribute)
            if receiver(call.func.value) in {"telemetry", "prober"}:
                offenders.append(f"{path.relative_to(VIDHOST)}:{call.lineno}")
    assert offenders == []


WEBHOOKS = VIDHOST / "notify" / "webhooks"
WEBHOOK_STORE_ADAPTER = "sql_store.py"
"""The one webhook module that may reach the database: the store adapter behind the port."""


def test_webhooks_do_not_import_the_database_layer() -> None:
    paths = sorted(WEBHOOKS.glob("*.py"))
    assert len(paths) > 3, "the webhook feature moved: point WEBHOOKS at it"
    assert WEBHOOK_STORE_ADAPTER in {p.name for p in paths}
    for path in paths:
        if path.name == WEBHOOK_STORE_ADAPTER:
            continue
        for name in imported_modules(path):  # relative imports too
            assert not name.startswith(("vidhost.adapters.db", "sqlalchemy")), (path.name, name)
