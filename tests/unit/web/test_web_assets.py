"""The web app's static assets: vendored files as locked, licences, no CDN links, small."""

from __future__ import annotations

import re
from pathlib import Path

from vidhost.web import vendor

STATIC = Path(vendor.__file__).parent / "static"


def test_vendored_files_match_their_locked_hashes() -> None:
    assert vendor.check() == []


def test_each_vendored_package_ships_its_licence() -> None:
    for name, pkg in vendor.load_lock()["packages"].items():
        assert any(Path(dest).name.startswith("LICENSE") for dest in pkg["files"]), name
        assert pkg["version"] and pkg["integrity"].startswith("sha512-"), name


def test_a_changed_vendored_file_is_caught(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(vendor, "VENDOR", tmp_path)
    problems = vendor.check()
    assert problems and all("missing" in p for p in problems)


def test_app_files_load_nothing_from_other_hosts() -> None:
    for path in STATIC.rglob("*"):
        if (
            path.is_file()
            and "vendor" not in path.parts
            and path.suffix in (".html", ".js", ".css")
        ):
            text = path.read_text()
            assert not re.search(r"""(src|href)\s*=\s*["']https?://""", text), path
            assert not re.search(r"""import[^;]*["']https?://""", text), path
            assert not re.search(r"url\(\s*['\"]?https?://", text), path
