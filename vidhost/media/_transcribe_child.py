"""The speech recognizer's child process (run by :mod:`vidhost.media.transcribe`).

Reads one JSON request on stdin: ``pcm`` (16 kHz mono signed 16-bit raw audio, written by
vidhost's own ffmpeg run, never the upload itself), ``model`` (a CTranslate2 Whisper
folder), ``language`` (a code, or ``auto``), ``threads``, ``beam_size``, ``window``
(seconds of audio recognized at a time, so memory does not grow with the duration).
Answers JSON lines on stdout: ``{"language": code, "probability": p}`` once,
``{"words": [[start, end, text], ...], "at": seconds}`` per recognized segment (or
``{"phrase": [start, end, text], ...}`` when it has no word timings), and
``{"done": true}`` at the end, or ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

SAMPLE_RATE = 16000


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    request = json.loads(sys.stdin.read())
    from faster_whisper import WhisperModel

    model = WhisperModel(
        request["model"],
        device="cpu",
        compute_type="int8",
        cpu_threads=int(request["threads"]),
        num_workers=1,
    )
    pcm = np.memmap(request["pcm"], dtype="<i2", mode="r")
    window = int(float(request["window"]) * SAMPLE_RATE)
    asked = request["language"]
    language = None if asked == "auto" else asked
    first = np.asarray(pcm[: min(len(pcm), 30 * SAMPLE_RATE)], dtype=np.float32) / 32768.0
    detected, probability, _ = model.detect_language(first, vad_filter=True)
    _say({"language": detected, "probability": float(probability)})
    use = language or detected
    for offset in range(0, len(pcm), window):
        audio = np.asarray(pcm[offset : offset + window], dtype=np.float32) / 32768.0
        base = offset / SAMPLE_RATE
        segments, _info = model.transcribe(
            audio,
            language=use,
            beam_size=int(request["beam_size"]),
            vad_filter=True,
            word_timestamps=True,
            condition_on_previous_text=False,
        )
        for segment in segments:
            words = [
                [base + w.start, base + w.end, w.word.strip()]
                for w in (segment.words or [])
                if w.word.strip()
            ]
            if words:
                _say({"words": words, "at": base + segment.end})
            elif segment.text.strip():  # no word timings: the phrase, timed as a whole
                phrase = [base + segment.start, base + segment.end, segment.text.strip()]
                _say({"phrase": phrase, "at": base + segment.end})
        _say({"at": min(len(pcm), offset + window) / SAMPLE_RATE})
    _say({"done": True})


if __name__ == "__main__":
    try:
        main()
    except MemoryError:
        _say({"error": {"code": "transcribe_failed", "message": "out of memory"}})
    except Exception as exc:  # answered to the parent, which raises it with a code
        _say({"error": {"code": "transcribe_failed", "message": type(exc).__name__}})
