"""The bundled speech model (ADR 0069): joined from its packages' parts into the data dir
once, checked against its recorded SHA-256; a wrong or missing part is a coded error."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vidhost.media.errors import MediaError
from vidhost.media.speech_model import (
    BUNDLED_MODELS,
    WHISPER_BASE,
    BundledModel,
    join_bundled,
    locate_model,
)

PART1, PART2 = b"first half of the weights|", b"second half"


@pytest.fixture
def packages(tmp_path: Path) -> Iterator[BundledModel]:
    """Two tiny packages on sys.path laid out as the real ones are."""
    root = tmp_path / "site"
    for name, files in {
        "vh_test_model_1": {"model.bin.part1": PART1},
        "vh_test_model_2": {
            "model.bin.part2": PART2,
            "config.json": b"{}",
            "tokenizer.json": b"{}",
        },
    }.items():
        data = root / name / "data"
        data.mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
        for filename, body in files.items():
            (data / filename).write_bytes(body)
    sys.path.insert(0, str(root))
    try:
        yield BundledModel(
            name="tiny",
            packages=("vh_test_model_1", "vh_test_model_2"),
            parts=("model.bin.part1", "model.bin.part2"),
            files=("config.json", "tokenizer.json"),
            size=len(PART1 + PART2),
            sha256=hashlib.sha256(PART1 + PART2).hexdigest(),
        )
    finally:
        sys.path.remove(str(root))
        for name in ("vh_test_model_1", "vh_test_model_2"):
            sys.modules.pop(name, None)


def test_the_parts_are_joined_once_and_checked(packages: BundledModel, tmp_path: Path) -> None:
    folder = join_bundled(tmp_path / "models", packages)
    assert (folder / "model.bin").read_bytes() == PART1 + PART2
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert join_bundled(tmp_path / "models", packages) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp  # found, not joined again
    assert [p.name for p in (tmp_path / "models").iterdir() if not p.name.startswith(".")] == [
        "tiny"
    ]


def test_a_part_that_is_not_the_expected_one_is_refused(
    packages: BundledModel, tmp_path: Path
) -> None:
    wrong = BundledModel(**{**packages.__dict__, "sha256": "0" * 64})
    with pytest.raises(MediaError) as refused:
        join_bundled(tmp_path / "models", wrong)
    assert refused.value.code == "speech_model_unavailable"
    assert not (tmp_path / "models" / "tiny").exists()  # nothing half-made is left


def test_a_missing_package_is_a_coded_error(tmp_path: Path) -> None:
    missing = BundledModel(**{**WHISPER_BASE.__dict__, "packages": ("vh_no_such_package",)})
    with pytest.raises(MediaError) as refused:
        join_bundled(tmp_path / "models", missing)
    assert refused.value.code == "speech_model_unavailable"


def test_the_setting_names_the_bundled_model_or_a_folder(tmp_path: Path) -> None:
    assert set(BUNDLED_MODELS) == {"base"}
    folder = tmp_path / "whisper-small"
    folder.mkdir()
    with pytest.raises(MediaError):
        locate_model(str(folder), tmp_path / "models")  # no model.bin
    (folder / "model.bin").write_bytes(b"x")
    (folder / "config.json").write_text("{}")
    assert locate_model(str(folder), tmp_path / "models") == folder.resolve()
