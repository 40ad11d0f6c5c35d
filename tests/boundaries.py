"""Reading a module's imports for the architecture tests (not a test module)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path, package: str | None = None) -> list[str]:
    """Every module ``path`` imports, relative imports resolved against its ``package``
    (by default the one its place under the repository root names)."""
    if package is None:
        package = ".".join(path.resolve().relative_to(ROOT).parent.parts)
    parts = package.split(".")
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names.append(str(node.module))
                continue
            base = ".".join(parts[: len(parts) - node.level + 1])
            if node.module:
                names.append(f"{base}.{node.module}")
            else:  # from .. import settings: each name may be a module
                names += [f"{base}.{alias.name}" for alias in node.names]
    return names
