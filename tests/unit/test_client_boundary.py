"""The command-line client is a client of the public API: it imports none of the server."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "vidhost"


def test_client_imports_only_itself_from_vidhost():
    files = [*sorted((ROOT / "client").glob("*.py")), ROOT / "cli_client.py"]
    assert len(files) > 3
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name == "vidhost" or name.startswith("vidhost."):
                    assert name.startswith("vidhost.client"), f"{path.name} imports {name}"
