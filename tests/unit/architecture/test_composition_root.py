"""One composition root (ADR 0074), read from the code: only ``vidhost/app/wiring.py`` and the
feature modules in ``vidhost/features/`` build services, and only the entry points
(``vidhost/app/cli.py``, ``vidhost/http/app.py``) call ``build_container``.

A *service* is any vidhost class the composition root constructs (found by reading the root,
so a new one is covered without editing this test), except values built from settings
(``*Config``, ``*Limits``). Construct one anywhere else — per request in a route, in a
background helper — and ``test_only_the_composition_root_builds_services`` names the line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

VIDHOST = Path(__file__).resolve().parents[3] / "vidhost"
FEATURE_MODULES = {p for p in VIDHOST.rglob("*feature.py") if p != VIDHOST / "app" / "feature.py"}
"""Each feature's ``install`` module, in the feature's own folder (``providers/mux/feature.py``)."""
ROOT = {VIDHOST / "app" / "wiring.py", VIDHOST / "app" / "features.py", *FEATURE_MODULES}
ENTRY_POINTS = {VIDHOST / "app" / "cli.py", VIDHOST / "http" / "app.py"}
VALUES = ("Config", "Limits")
ALLOWED = {
    ("processing/analysis.py", "vidhost.processing.probing.MediaProber"),
    ("processing/enhance.py", "vidhost.processing.probing.MediaProber"),
    ("processing/transcode/plan.py", "vidhost.processing.probing.MediaProber"),
    # each task handler (built by the root) wraps its own ProbeConfig in the sandboxed probe
    ("notify/webhooks/dispatcher.py", "vidhost.adapters.net.url_guard.UrlGuard"),
    # the default when a test builds a dispatcher alone; the root passes the configured guard
}


def _imported(tree: ast.AST) -> dict[str, str]:
    """Local name -> dotted vidhost name, for ``from vidhost.x import Y [as Z]``."""
    names = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "vidhost"
        ):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def constructed(source: str) -> Iterator[tuple[str, int]]:
    """Every vidhost class (CapWords) that ``source`` calls: ``Y(...)`` or ``module.Y(...)``."""
    tree = ast.parse(source)
    names = _imported(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in names and func.id[:1].isupper():
            yield names[func.id], node.lineno
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in names
            and func.attr[:1].isupper()
        ):
            yield f"{names[func.value.id]}.{func.attr}", node.lineno


def called(source: str, module: str) -> Iterator[tuple[str, int]]:
    """Every function of ``module`` that ``source`` calls by its imported name."""
    tree = ast.parse(source)
    names = {k: v for k, v in _imported(tree).items() if v.rpartition(".")[0] == module}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            yield names[node.func.id].rpartition(".")[2], node.lineno


def services() -> set[str]:
    found = set()
    for path in ROOT:
        for name, _ in constructed(path.read_text()):
            cls = name.rpartition(".")[2]
            if not name.startswith("vidhost.app.feature.") and not cls.endswith(VALUES):
                found.add(name)
    return found


def offenders(path: Path, source: str, known: set[str]) -> list[str]:
    where = path.relative_to(VIDHOST).as_posix()
    return [
        f"{where}:{line} builds {name}"
        for name, line in constructed(source)
        if name in known and (where, name) not in ALLOWED
    ]


def outside_the_root() -> Iterator[Path]:
    for path in sorted(VIDHOST.rglob("*.py")):
        if path not in ROOT:
            yield path


def test_the_root_builds_the_services_this_test_looks_for() -> None:
    """The list is read from the root: it holds the services routes once built per request."""
    known = services()
    for name in (
        "vidhost.notify.webhooks.sql_store.SqlWebhookStore",
        "vidhost.delivery.thumbnails.renderer.MediaRenderer",
        "vidhost.notify.realtime.client_videos.ClientVideos",
        "vidhost.notify.realtime.hub.EventHub",
        "vidhost.notify.webhooks.dispatcher.WebhookDispatcher",
        "vidhost.core.videos.VideoService",
        "vidhost.ingest.tus.service.UploadService",
        "vidhost.web.signin_codes.SignInCodes",
    ):
        assert name in known, name


def test_only_the_composition_root_builds_services() -> None:
    known = services()
    found = [o for p in outside_the_root() for o in offenders(p, p.read_text(), known)]
    assert found == []


def test_a_route_that_builds_a_store_per_request_is_caught() -> None:
    """What ``notify/webhooks/routes.py`` did before ADR 0074."""
    source = (
        "from vidhost.notify.webhooks.sql_store import SqlWebhookStore\n"
        "async def get_store(container):\n"
        "    return SqlWebhookStore(container.engine)\n"
    )
    found = offenders(VIDHOST / "notify" / "webhooks" / "routes.py", source, services())
    assert found == [
        "notify/webhooks/routes.py:3 builds vidhost.notify.webhooks.sql_store.SqlWebhookStore"
    ]


def test_only_the_entry_points_build_the_container() -> None:
    found = []
    for path in outside_the_root():
        if path in ENTRY_POINTS:
            continue
        for name, line in called(path.read_text(), "vidhost.app.wiring"):
            if name.startswith(("build_", "make_")):
                found.append(f"{path.relative_to(VIDHOST)}:{line} calls {name}")
    assert found == []
