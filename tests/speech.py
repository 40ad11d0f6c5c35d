"""Speech test clips: sentences spoken by espeak-ng (Debian's ``espeak-ng``, installed by
``make test``), muxed with a lavfi video by the bundled ffmpeg.

Not a test module: import ``speech_clip`` and ``SENTENCES`` from tests and benchmarks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from vidhost.media.binaries import ffmpeg_path

SENTENCES = (
    "Captions make every video easier to follow.",
    "The quick brown fox jumps over the lazy dog.",
    "Every morning the baker opens his shop and sells fresh bread to the town.",
    "Our river flows past green fields toward the distant mountains.",
    "Please remember to water the garden before the summer evening ends.",
    "A small orange cat sleeps on the warm kitchen window.",
    "Children laugh and play football in the park after school.",
    "The library keeps thousands of books about science and history.",
)


def espeak() -> str | None:
    return shutil.which("espeak-ng")


needs_espeak = pytest.mark.skipif(
    espeak() is None and os.environ.get("CI") != "true",
    reason="espeak-ng missing (make test installs it)",
)
"""Speech clips need espeak-ng: without it a local run skips, and CI (``CI=true``) fails."""


def words_of(text: str) -> list[str]:
    """Lower-case words, punctuation dropped (for comparing with a recognizer's output)."""
    return re.findall(r"[a-z0-9']+", text.lower())


def speech_clip(
    path: str | os.PathLike[str],
    sentences: Sequence[str],
    *,
    video: bool = True,
    words_per_minute: int = 150,
    voice: str = "en-us",
    silence: float = 0.0,
) -> Path:
    """An MP4 (H.264 testsrc2 320x240 + AAC) of espeak-ng speaking ``sentences``, lasting as
    long as the speech (and ``silence`` seconds of silence after it); ``video=False``: an
    M4A."""
    exe = espeak()
    if exe is None:
        raise RuntimeError("espeak-ng is missing: `make test` installs it (apt-get install)")
    out = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        text = " ".join(sentences)
        subprocess.run(
            [exe, "-v", voice, "-s", str(words_per_minute), "-g", "4", "-w", str(wav), text],
            check=True,
            capture_output=True,
        )
        ffmpeg = ffmpeg_path(None)
        audio = ["-i", str(wav)]
        pad = ["-af", f"apad=pad_dur={silence}"] if silence else []
        if video:
            args = [
                ffmpeg, "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", *audio, *pad,
                "-map", "0:v", "-map", "1:a", "-shortest",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-g", "50", "-c:a", "aac", "-b:a", "96k", str(out),
            ]  # fmt: skip
        else:
            args = [ffmpeg, "-loglevel", "error", "-y", *audio, *pad, "-c:a", "aac", str(out)]
        subprocess.run(args, check=True, capture_output=True)
    return out


def silent_clip(path: str | os.PathLike[str], *, duration: float = 6.0, audio: bool = True) -> Path:
    """A clip whose audio track is digital silence (or that has no audio stream)."""
    out = Path(path)
    ffmpeg = ffmpeg_path(None)
    sound = ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono"] if audio else []
    maps = ["-map", "0:v", "-map", "1:a", "-c:a", "aac"] if audio else ["-map", "0:v"]
    args = [
        ffmpeg, "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", *sound, *maps,
        "-t", str(duration), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        str(out),
    ]  # fmt: skip
    subprocess.run(args, check=True, capture_output=True)
    return out
