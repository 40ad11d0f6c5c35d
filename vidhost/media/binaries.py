"""Locating the ffmpeg executable."""

from __future__ import annotations

import os
import shutil

import imageio_ffmpeg


def ffmpeg_path(override: str | None = None) -> str:
    """Return the ffmpeg executable to run.

    ``override`` (e.g. from settings) wins when given: an existing file path, or a bare command
    name found on ``PATH``; otherwise :class:`FileNotFoundError` is raised. Without it (``None``
    or empty), the binary bundled with ``imageio-ffmpeg`` is used.
    """
    if override:
        if os.path.isfile(override):
            return override
        found = shutil.which(override) if os.sep not in override else None
        if found is None:
            raise FileNotFoundError(f"ffmpeg binary not found: {override}")
        return found
    return str(imageio_ffmpeg.get_ffmpeg_exe())
