"""Issue 20: "mark dispatched, then dispatch" is written once (``VideoService.dispatch_again``):
every other module that sends a task back to the workers calls it."""

from __future__ import annotations

import ast

from tests.boundaries import VIDHOST, vidhost_modules

HOME = "vidhost.core.videos"
PORTS = ("vidhost.core.ports", "vidhost.adapters.db.repository")  # the method's own definition


def _calls(tree: ast.AST, name: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
    ]


def test_mark_dispatched_is_called_from_one_place_only() -> None:
    found = {
        module: lines
        for module, path in vidhost_modules().items()
        if module not in PORTS and (lines := _calls(ast.parse(path.read_text()), "mark_dispatched"))
    }
    assert list(found) == [HOME], found
    assert len(found[HOME]) == 1, found  # inside dispatch_again


def test_the_check_reads_the_real_tree() -> None:
    """The test above would pass on an empty tree: make sure it reads vidhost's modules."""
    modules = vidhost_modules()
    assert HOME in modules and len(modules) > 150
    assert (VIDHOST / "core" / "videos.py").is_file()
