"""Speech to timed words, offline, in bounded child processes (issue 22, ADR 0069).

Two steps, each in its own sandboxed child (``vidhost.media.sandbox``: no network, bounded
address space, descriptors and time, niced like other background work):

1. ffmpeg decodes the source's first audio stream to 16 kHz mono 16-bit raw samples
   (the readers pinned to the accepted container, as for every task);
2. ``vidhost.media._transcribe_child`` runs faster-whisper (CTranslate2, int8 on the CPU)
   over that raw file, window by window, and answers JSON lines: the detected language,
   then each segment's timed words as it is recognized (the progress).

The untrusted upload is only ever read by ffmpeg; the recognizer reads samples vidhost wrote.
Silence (the voice detector finds no speech) is ``no_speech``; a source without an audio
stream is ``no_audio``.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from vidhost.core.cue_shaping import Word, spread_words
from vidhost.media.errors import MediaError
from vidhost.media.formats import input_args
from vidhost.media.process import child_preexec
from vidhost.media.runner import run_ffmpeg
from vidhost.media.sandbox import MIB, ProcessLimits, limited_command

log = logging.getLogger(__name__)

NO_AUDIO: Final = "no_audio"
NO_SPEECH: Final = "no_speech"
TRANSCRIBE_FAILED: Final = "transcribe_failed"
SAMPLE_RATE: Final = 16000
AUTO: Final = "auto"
_EXTRACT_SHARE: Final = 5.0
"""Percent of the progress bar given to decoding the audio (the recognizer takes the rest)."""


@dataclass(frozen=True)
class RecognizerConfig:
    ffmpeg: str
    model_dir: Path
    """A CTranslate2 Whisper model folder (``vidhost.media.speech_model.locate_model``)."""
    threads: int = 2
    beam_size: int = 1
    window: float = 600.0
    """Seconds of audio recognized at a time: memory stays flat however long the video."""
    memory_bytes: int = 2048 * MIB
    """Address space of the recognizer's child."""
    timeout: float = 3600.0
    nice: int = 10
    tmp_dir: Path = field(default_factory=lambda: Path("/tmp"))


@dataclass(frozen=True)
class Transcript:
    language: str
    """The language the text is in (the one asked, or the one detected for ``auto``)."""
    detected: str
    """The language the recognizer heard at the start."""
    probability: float
    words: list[Word]


def extract_command(
    ffmpeg: str, source: str, out: str, *, input_format: str | None = None
) -> list[str]:
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-y", *input_args(input_format), "-i", source,
        "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(SAMPLE_RATE),
        "-f", "s16le", "-acodec", "pcm_s16le", out, "-progress", "pipe:1", "-nostats",
    ]  # fmt: skip


def extract_audio(
    config: RecognizerConfig,
    source: Path,
    out: Path,
    *,
    duration: float | None,
    input_format: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """The source's first audio stream as raw 16 kHz mono samples in ``out``."""
    run_ffmpeg(
        extract_command(config.ffmpeg, str(source), str(out), input_format=input_format),
        duration=duration,
        on_progress=on_progress,
        limits=ProcessLimits(
            timeout=config.timeout, memory_bytes=None, max_files=256, nice=config.nice
        ),
    )


def _child_env() -> dict[str, str]:
    paths = [os.path.abspath(p) for p in sys.path if p]
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(paths),
        "LANG": "C.UTF-8",
        # one malloc arena per thread would reserve 64 MiB of address space each
        "MALLOC_ARENA_MAX": "2",
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
    }


def _pump(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _drain(stream: IO[bytes], tail: deque[str]) -> None:
    for line in stream:
        tail.append(line.decode("utf-8", "replace").rstrip())


def recognize(
    config: RecognizerConfig,
    pcm: Path,
    language: str,
    *,
    on_progress: Callable[[float], None] | None = None,
) -> Transcript:
    """Timed words of the raw samples in ``pcm`` (``language``: a code, or ``auto``).
    ``on_progress`` gets the percent of the audio recognized; if it raises, the child is
    killed and the exception propagates."""
    seconds = pcm.stat().st_size / 2 / SAMPLE_RATE
    limits = ProcessLimits(
        timeout=config.timeout,
        memory_bytes=config.memory_bytes,
        max_files=256,
        max_file_bytes=0,
        nice=config.nice,
    )
    request = {
        "pcm": str(pcm.resolve()),
        "model": str(config.model_dir),
        "language": language,
        "threads": config.threads,
        "beam_size": config.beam_size,
        "window": config.window,
    }
    argv = limited_command([sys.executable, "-m", "vidhost.media._transcribe_child"], limits)
    try:
        child = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd="/",
            env=_child_env(),
            preexec_fn=child_preexec(),
        )
    except OSError as exc:
        raise MediaError(TRANSCRIBE_FAILED, f"the recognizer could not start ({exc})") from None
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    lines: queue.Queue[bytes | None] = queue.Queue()
    tail: deque[str] = deque(maxlen=20)
    threading.Thread(target=_pump, args=(child.stdout, lines), daemon=True).start()
    threading.Thread(target=_drain, args=(child.stderr, tail), daemon=True).start()
    deadline = time.monotonic() + config.timeout
    detected, probability, words = "", 0.0, []
    finished = False
    try:
        child.stdin.write(json.dumps(request).encode())
        child.stdin.close()
        while True:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise MediaError(
                    TRANSCRIBE_FAILED,
                    f"recognizing the speech took longer than {config.timeout:g} s",
                )
            try:
                raw = lines.get(timeout=min(wait, 1.0))
            except queue.Empty:
                continue
            if raw is None:
                break
            message = _parse(raw)
            if "error" in message:
                raise MediaError(
                    TRANSCRIBE_FAILED, f"the recognizer failed ({message['error']['message']})"
                )
            if "language" in message:
                detected = str(message["language"])
                probability = float(message["probability"])
            for start, end, text in message.get("words", []):
                words.append(Word(float(start), float(end), str(text)))
            if "phrase" in message:
                words.extend(spread_words(*message["phrase"]))
            if "at" in message and on_progress is not None and seconds > 0:
                on_progress(min(99.0, 100.0 * float(message["at"]) / seconds))
            if message.get("done"):
                finished = True
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    if not finished:
        reason = f"signal {-child.returncode}" if child.returncode < 0 else "no result"
        log.warning("recognizer ended without a result: %s", " | ".join(tail))
        raise MediaError(
            TRANSCRIBE_FAILED, f"the recognizer ended within its limits without a result ({reason})"
        )
    return Transcript(
        language=detected if language == AUTO else language,
        detected=detected,
        probability=probability,
        words=words,
    )


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def transcribe(
    config: RecognizerConfig,
    source: Path,
    language: str,
    *,
    duration: float | None,
    has_audio: bool,
    input_format: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Transcript:
    """The speech of ``source`` as timed words: ``no_audio`` without an audio stream,
    ``no_speech`` when nothing is recognized."""
    if not has_audio:
        raise MediaError(NO_AUDIO, "the video has no audio to caption")
    report = on_progress or (lambda _p: None)
    config.tmp_dir.mkdir(parents=True, exist_ok=True)
    pcm = config.tmp_dir / f"speech-{os.getpid()}-{threading.get_ident()}.pcm"
    try:
        extract_audio(
            config,
            source,
            pcm,
            duration=duration,
            input_format=input_format,
            on_progress=lambda p: report(p * _EXTRACT_SHARE / 100),
        )
        if pcm.stat().st_size < SAMPLE_RATE * 2 // 10:  # under 0.1 s
            raise MediaError(NO_SPEECH, "the audio is too short to hold speech")
        result = recognize(
            config,
            pcm,
            language,
            on_progress=lambda p: report(_EXTRACT_SHARE + p * (100 - _EXTRACT_SHARE) / 100),
        )
    finally:
        pcm.unlink(missing_ok=True)
    if not result.words:
        raise MediaError(NO_SPEECH, "no speech was recognized in the audio")
    return result
