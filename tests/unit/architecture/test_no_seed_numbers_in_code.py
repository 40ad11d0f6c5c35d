"""Code names surfaces after what they are; the seed numbers live in docs/ only (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SEED_NUMBER = re.compile(r"(?i)seed[ _-]?0\d\d|seeds? 0\d\d")


def offending(package: Path) -> list[str]:
    """``path:line: text`` for each line under ``package`` naming a seed number."""
    vendor = package / "web" / "static" / "vendor"
    found = []
    for path in sorted(package.rglob("*")):
        if not path.is_file() or path.is_relative_to(vendor) or "__pycache__" in path.parts:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if SEED_NUMBER.search(line):
                found.append(f"{path.relative_to(package.parent)}:{number}: {line.strip()}")
    return found


def test_no_file_under_vidhost_names_a_seed_number() -> None:
    assert offending(ROOT / "vidhost") == []


@pytest.mark.parametrize(
    "line",
    [
        "SEED001_STATE = {}",
        "def seed002_signature():",
        "(seeds 000/002)",
        "tus/seed 003",
        "Seed-004",
    ],
)
def test_the_pattern_catches_each_spelling(tmp_path: Path, line: str) -> None:
    (tmp_path / "vidhost" / "web" / "static" / "vendor").mkdir(parents=True)
    (tmp_path / "vidhost" / "web" / "static" / "vendor" / "lib.js").write_text("seed 001\n")
    (tmp_path / "vidhost" / "module.py").write_text(f"ok\n{line}\n")
    assert offending(tmp_path / "vidhost") == [f"vidhost/module.py:2: {line}"]
