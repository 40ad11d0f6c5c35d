"""The command-line client is a client of the public API: it imports none of the server."""

from __future__ import annotations

from pathlib import Path

from tests.boundaries import ROOT, imported_modules


def test_imports_are_resolved_relative_ones_included(tmp_path: Path) -> None:
    path = tmp_path / "probe.py"
    path.write_text("from ..settings import Settings\nfrom . import tus\nimport vidhost.db\n")
    assert imported_modules(path, "vidhost.client") == [
        "vidhost.settings",
        "vidhost.client.tus",
        "vidhost.db",
    ]
    assert imported_modules(ROOT / "vidhost" / "client" / "tus.py") == imported_modules(
        ROOT / "vidhost" / "client" / "tus.py", "vidhost.client"
    )


def test_client_imports_only_itself_from_vidhost() -> None:
    files = [
        *sorted((ROOT / "vidhost" / "client").glob("*.py")),
        ROOT / "vidhost" / "client" / "commands.py",
    ]
    assert len(files) > 3
    for path in files:
        for name in imported_modules(path):
            if name == "vidhost" or name.startswith("vidhost."):
                assert name.startswith("vidhost.client"), f"{path.name} imports {name}"
