"""Fixtures the chunked-transcode test files share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clips import make_clip

DURATION = 7.5
FPS = 25


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 7.5 s 320x180 clip with a 440 Hz tone (several 1 s segments and 2 s chunks)."""
    out = tmp_path_factory.mktemp("clip") / "tone.mp4"
    return make_clip(out, duration=DURATION, width=320, height=180, fps=FPS)
