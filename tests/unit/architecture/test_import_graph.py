"""No import circle, and the layers of ADR 0076, read from the code.

The graph counts every import of every vidhost module: at the top, inside a function, and
under ``TYPE_CHECKING`` alike (``tests.boundaries.import_graph``), so a circle cannot hide in
a late import. Layer rules:

- ``core`` imports nothing of vidhost outside ``core``.
- ``providers`` (Mux, Cloudflare) import ``core``, ``http``, their own package and the values
  the composition root hands out (``app.container``, ``app.feature``) only, with no
  exception: what they share with the native API is a port in ``core`` implemented
  elsewhere and handed in by the container (rendering, resumable uploads, URL fetches,
  webhook endpoints), or web mechanics in ``http`` (tus handlers, image answers); their
  tables are their own (ADR 0079; the last of issue 20's 22 exceptions went on 2026-12-07).
- "The video is missing or deleted" is written once, in ``vidhost.core.models.present``;
  a hand-written copy elsewhere fails (``tests.boundaries.missing_or_deleted_checks``).
- Nothing imports the composition root: outside ``vidhost.app`` only the values it hands out
  may be imported (``app.container``, ``app.feature``, ``app.settings``), never
  ``app.wiring``, ``app.features``, ``app.main`` or ``app.cli`` (the entry point
  ``vidhost/__main__.py`` excepted).
"""

from __future__ import annotations

import ast

from tests.boundaries import (
    VIDHOST,
    cycles,
    import_graph,
    missing_or_deleted_checks,
    path_between,
)

GRAPH = import_graph()

APP_VALUES = {"vidhost.app", "vidhost.app.container", "vidhost.app.feature", "vidhost.app.settings"}
ENTRY_POINTS = {"vidhost.__main__"}


def edges(prefix: str) -> set[tuple[str, str]]:
    return {(m, t) for m, targets in GRAPH.items() if m.startswith(prefix) for t in targets}


def test_there_is_no_import_circle() -> None:
    found = cycles(GRAPH)
    chains = [" -> ".join([*path_between(GRAPH, c[0], c[0])]) for c in found]
    assert found == [], "\n".join(chains)


def test_a_circle_through_a_late_import_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert path_between(graph, "a", "a") == ["a", "b", "c", "a"]


def test_core_imports_only_core() -> None:
    bad = sorted((m, t) for m, t in edges("vidhost.core") if not t.startswith("vidhost.core"))
    assert bad == []


def provider_edges_outside_the_rule() -> set[tuple[str, str]]:
    allowed = ("vidhost.core", "vidhost.http", "vidhost.app.container", "vidhost.app.feature")
    found = set()
    for m, t in edges("vidhost.providers."):
        own = ".".join(m.split(".")[:3])  # vidhost.providers.mux
        if t.startswith((*allowed, own)) or t == "vidhost.providers":
            continue
        found.add((m, t))
    return found


def test_providers_import_core_and_http_only() -> None:
    found = sorted(provider_edges_outside_the_rule())
    assert found == [], "a provider imports outside core/http (ADR 0076, ADR 0079)"


def test_the_provider_rule_reads_the_real_graph() -> None:
    """Both providers are in the graph with their imports of core and http (the rule above
    would pass on a graph without them)."""
    for provider in ("vidhost.providers.mux", "vidhost.providers.cloudflare"):
        targets = {t for _, t in edges(provider + ".")}
        assert any(t.startswith("vidhost.core.") for t in targets), provider
        assert any(t.startswith("vidhost.http.") for t in targets), provider


def test_nothing_imports_the_composition_root() -> None:
    bad = sorted(
        (m, t)
        for m, targets in GRAPH.items()
        if not m.startswith("vidhost.app") and m not in ENTRY_POINTS
        for t in targets
        if t.startswith("vidhost.app") and t not in APP_VALUES
    )
    assert bad == []


def test_no_isinstance_on_adapter_classes_outside_adapters() -> None:
    """Storage capabilities are declared by the adapters (``StorageCapabilities``), never
    sniffed from their class (tusd's composer; ADR 0076)."""
    bad = []
    for path in sorted(VIDHOST.rglob("*.py")):
        if (VIDHOST / "adapters") in path.parents:
            continue
        tree = ast.parse(path.read_text())
        adapters = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("vidhost.adapters")
            for alias in node.names
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
                names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                if names & adapters:
                    bad.append(f"{path.relative_to(VIDHOST)}:{node.lineno}")
    assert bad == []


HOME_OF_PRESENT = VIDHOST / "core" / "models.py"
PRESENT_PENDING: dict[str, int] = {}
"""Copies of the rule still written by hand (none left; the count must match exactly)."""


def test_missing_or_deleted_is_written_once() -> None:
    found = {}
    for path in sorted(VIDHOST.rglob("*.py")):
        if path == HOME_OF_PRESENT:
            continue
        lines = missing_or_deleted_checks(path.read_text())
        if lines:
            found[str(path.relative_to(VIDHOST))] = lines
    counts = {name: len(lines) for name, lines in found.items()}
    assert counts == PRESENT_PENDING, f"use vidhost.core.models.present: {found}"


def test_the_missing_or_deleted_finder_sees_both_ways_round() -> None:
    source = """
a = v is None or v.state is S.DELETED
b = v is not None and v.state != VideoState.DELETED
c = pid is None or row is None or row.state is S.DELETED
d = v is None or w.state is S.DELETED
e = pulled and v.state is not S.DELETED
f = self.v is None or self.v.state == "deleted"
"""
    assert missing_or_deleted_checks(source) == [2, 3, 4, 7]
