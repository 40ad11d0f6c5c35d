"""docs/errors.md and the README show the catalogue as it is."""

from __future__ import annotations

from pathlib import Path

from vidhost.core.error_codes import markdown_table

ROOT = Path(__file__).resolve().parents[3]


def test_docs_errors_md_has_the_current_table() -> None:
    text = (ROOT / "docs" / "errors.md").read_text()
    assert markdown_table() in text, "regenerate: vidhost error-codes (docs/errors.md, ## Codes)"


def test_readme_links_the_codes() -> None:
    assert "docs/errors.md" in (ROOT / "README.md").read_text()


def test_readme_lists_every_code_by_status() -> None:
    from vidhost.core.error_codes import status_table

    assert status_table() in (ROOT / "README.md").read_text()
