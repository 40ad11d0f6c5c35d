"""Generated captions (ADR 0069): how fast speech becomes cues, against bare faster-whisper.

A 60 s clip of espeak-ng speech muxed with a lavfi video (``tests/speech.py``). Contenders,
interleaved round by round, each in a fresh Python process (so each loads the model once, as
a worker's task does):

- **vidhost**: what the ``captions`` task runs after its source copy: ``media.transcribe``
  (ffmpeg decodes the audio in its sandbox, the recognizer child loads the model and
  recognizes; int8, ``captions_threads`` = 2, greedy, voice detection, word timings) and
  ``core.cue_shaping`` into WebVTT;
- **bare**: faster-whisper in-process on the same file, the same model folder and options
  (``WhisperModel(...).transcribe`` with its own PyAV decode), its import and the model load
  included. vidhost does one thing more: it detects the language on the first 30 s (one
  more encoder pass) to say on the track when the speech is not in the language asked.

Prints each run (seconds, real-time factor = clip duration / seconds, peak RSS of the
recognizing process), then the medians, vidhost/bare, and the goal (at least 3x real time). The
machine's load average is printed with each run: say under what load the figures were taken.

    .venv/bin/python benchmarks/captions.py [--rounds 3] [--seconds 60] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.speech import SENTENCES, speech_clip, words_of  # noqa: E402
from vidhost.media.binaries import ffmpeg_path  # noqa: E402
from vidhost.media.speech_model import locate_model  # noqa: E402

THREADS = 2
GOAL = 3.0


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def run_vidhost(clip: Path, model: Path, tmp: Path) -> dict[str, float | str]:
    from vidhost.core.cue_shaping import shape_cues, to_webvtt
    from vidhost.media.transcribe import RecognizerConfig, transcribe

    config = RecognizerConfig(
        ffmpeg=ffmpeg_path(None), model_dir=model, threads=THREADS, nice=0, tmp_dir=tmp
    )
    started = time.monotonic()
    result = transcribe(config, clip, "en", duration=None, has_audio=True)
    vtt = to_webvtt(shape_cues(result.words))
    seconds = time.monotonic() - started
    return {"seconds": seconds, "rss_mib": _peak_mib(resource.RUSAGE_CHILDREN), "text": vtt}


def run_bare(clip: Path, model: Path) -> dict[str, float | str]:
    started = time.monotonic()
    from faster_whisper import WhisperModel  # imported in the timed part, as vidhost's child does

    whisper = WhisperModel(str(model), device="cpu", compute_type="int8", cpu_threads=THREADS)
    segments, _info = whisper.transcribe(
        str(clip),
        language="en",
        beam_size=1,
        vad_filter=True,
        word_timestamps=True,
        condition_on_previous_text=False,
    )
    text = " ".join(s.text for s in segments)
    seconds = time.monotonic() - started
    return {"seconds": seconds, "rss_mib": _peak_mib(resource.RUSAGE_SELF), "text": text}


def one(kind: str, clip: Path, model: Path, tmp: Path) -> dict[str, float | str]:
    """A contender in a fresh process; its figures as JSON on the last stdout line."""
    done = subprocess.run(
        [sys.executable, __file__, "--one", kind, str(clip), str(model), str(tmp)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def share(text: str, spoken: list[str]) -> float:
    heard = set(words_of(text))
    return sum(w in heard for w in spoken) / len(spoken)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "vidhost-bench")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, clip, model, tmp = args.one
        out = (
            run_vidhost(Path(clip), Path(model), Path(tmp))
            if kind == "vidhost"
            else run_bare(Path(clip), Path(model))
        )
        print(json.dumps(out))
        return
    tmp: Path = args.tmp / "captions"
    tmp.mkdir(parents=True, exist_ok=True)
    model = locate_model("base", tmp / "models")
    sentences: list[str] = []
    while len(" ".join(sentences).split()) < args.seconds * 150 / 60 * 1.1:
        sentences.extend(SENTENCES)
    long_clip = speech_clip(tmp / "speech-long.mp4", sentences)
    clip = tmp / "speech.mp4"
    subprocess.run(
        [ffmpeg_path(None), "-loglevel", "error", "-y", "-i", str(long_clip), "-t",
         str(args.seconds), "-c", "copy", str(clip)],
        check=True,
    )  # fmt: skip
    spoken = words_of(" ".join(sentences))
    results: dict[str, list[dict[str, float | str]]] = {"vidhost": [], "bare": []}
    print(f"clip {args.seconds:g} s of espeak-ng speech; {os.cpu_count()} CPUs; model {model}")
    for r in range(args.rounds):
        for kind in ("vidhost", "bare"):
            load = os.getloadavg()[0]
            res = one(kind, clip, model, tmp)
            results[kind].append(res)
            secs = float(res["seconds"])
            print(
                f"round {r + 1} {kind:8s} {secs:6.2f} s  {args.seconds / secs:4.2f}x real time  "
                f"peak RSS {float(res['rss_mib']):6.0f} MiB  words heard "
                f"{share(str(res['text']), spoken[: len(spoken)]):.0%} of the script  "
                f"(load average {load:.1f})",
                flush=True,
            )
    med = {k: statistics.median(float(x["seconds"]) for x in v) for k, v in results.items()}
    rss = {k: max(float(x["rss_mib"]) for x in v) for k, v in results.items()}
    print(
        f"median vidhost {med['vidhost']:.2f} s ({args.seconds / med['vidhost']:.2f}x real time, "
        f"peak RSS {rss['vidhost']:.0f} MiB); bare faster-whisper {med['bare']:.2f} s "
        f"({args.seconds / med['bare']:.2f}x, {rss['bare']:.0f} MiB); "
        f"vidhost/bare {med['vidhost'] / med['bare']:.2f}; goal >= {GOAL:g}x real time: "
        f"{'met' if args.seconds / med['vidhost'] >= GOAL else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
