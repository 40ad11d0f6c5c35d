"""The command-line client is a client of the public API: it imports none of the server."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "vidhost"


def imported_modules(path: Path, package: str) -> list[str]:
    """Every module ``path`` imports, relative imports resolved against ``package``."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names.append(str(node.module))
                continue
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
            if node.module:
                names.append(f"{base}.{node.module}")
            else:  # from .. import settings: each name may be a module
                names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def test_imports_are_resolved_relative_ones_included(tmp_path: Path) -> None:
    path = tmp_path / "probe.py"
    path.write_text("from ..settings import Settings\nfrom . import tus\nimport vidhost.db\n")
    assert imported_modules(path, "vidhost.client") == [
        "vidhost.settings",
        "vidhost.client.tus",
        "vidhost.db",
    ]


def test_client_imports_only_itself_from_vidhost() -> None:
    files = {path: "vidhost.client" for path in sorted((ROOT / "client").glob("*.py"))}
    files[ROOT / "cli_client.py"] = "vidhost"
    assert len(files) > 3
    for path, package in files.items():
        for name in imported_modules(path, package):
            if name == "vidhost" or name.startswith("vidhost."):
                assert name.startswith("vidhost.client"), f"{path.name} imports {name}"
