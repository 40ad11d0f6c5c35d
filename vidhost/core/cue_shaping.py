"""Recognized words into cues fit for reading (issue 22, ADR 0069).

Speech recognition gives timed words (or timed phrases: see :func:`spread_words`); a
caption cue shows at most :data:`MAX_LINES` lines of at most :data:`MAX_LINE_CHARS`
characters, for :data:`MIN_SECONDS` to :data:`MAX_SECONDS` (the BBC and Netflix subtitle
guidelines' bounds). :func:`shape_cues` fills cues greedily, word by word, and starts a new
cue when the next word would not fit, the cue would last too long, the speaker paused, or a
sentence ended after the cue had shown long enough; each cue's lines are balanced. Pure: no
I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

MAX_LINE_CHARS: Final = 42
MAX_LINES: Final = 2
MIN_SECONDS: Final = 1.0
MAX_SECONDS: Final = 7.0
PAUSE_SECONDS: Final = 1.0
"""Silence between two words that ends a cue (a new thought, or a new speaker)."""
SENTENCE_ENDS: Final = (".", "?", "!", "…")


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def spread_words(start: float, end: float, text: str) -> list[Word]:
    """A timed phrase as words, its time shared out by length (for a recognizer that gives
    no word timings)."""
    words = text.split()
    if not words:
        return []
    total = sum(len(w) + 1 for w in words)
    span = max(0.0, end - start)
    out: list[Word] = []
    at = start
    for word in words:
        length = span * (len(word) + 1) / total
        out.append(Word(at, at + length, word))
        at += length
    return out


def _pieces(words: Iterable[Word]) -> list[Word]:
    """Words cleaned of blanks, a word longer than a line cut into line-long pieces."""
    out: list[Word] = []
    for word in words:
        text = " ".join(word.text.split())
        if not text:
            continue
        for piece in text.split(" "):
            if len(piece) <= MAX_LINE_CHARS:
                out.append(Word(word.start, max(word.start, word.end), piece))
                continue
            count = -(-len(piece) // MAX_LINE_CHARS)
            step = max(0.0, word.end - word.start) / count
            for i in range(count):
                chunk = piece[i * MAX_LINE_CHARS : (i + 1) * MAX_LINE_CHARS]
                out.append(Word(word.start + i * step, word.start + (i + 1) * step, chunk))
    return out


def break_lines(words: Sequence[str]) -> tuple[str, ...] | None:
    """``words`` as at most two lines of at most 42 characters, the break where the longer
    line is shortest (ties: the top line longer); None when they do not fit."""
    one = " ".join(words)
    if len(one) <= MAX_LINE_CHARS:
        return (one,)
    best: tuple[str, str] | None = None
    for cut in range(1, len(words)):
        top, bottom = " ".join(words[:cut]), " ".join(words[cut:])
        if len(top) > MAX_LINE_CHARS or len(bottom) > MAX_LINE_CHARS:
            continue
        if best is None or max(len(top), len(bottom)) < max(len(best[0]), len(best[1])):
            best = (top, bottom)
    return best


def _ends_sentence(text: str) -> bool:
    return text.rstrip("\"')]»”").endswith(SENTENCE_ENDS)


def _group(words: list[Word]) -> list[list[Word]]:
    groups: list[list[Word]] = []
    current: list[Word] = []
    for word in words:
        if current:
            last = current[-1]
            too_long = word.end - current[0].start > MAX_SECONDS
            paused = word.start - last.end >= PAUSE_SECONDS
            sentence = _ends_sentence(last.text) and last.end - current[0].start >= MIN_SECONDS
            fits = break_lines([w.text for w in [*current, word]]) is not None
            if too_long or paused or sentence or not fits:
                groups.append(current)
                current = []
        current.append(word)
    if current:
        groups.append(current)
    return groups


def shape_cues(words: Iterable[Word]) -> list[Cue]:
    """Timed words as reading cues: each at most two lines of 42 characters, shown 1 to 7 s,
    in order and never overlapping. A cue shorter than 1 s is held longer, taking time from
    the pause after it and, if need be, moving the next cue later (never by more than the
    shortfall); a word that alone lasts over 7 s is shown for 7 s."""
    groups = _group(_pieces(words))
    cues: list[Cue] = []
    for group in groups:
        lines = break_lines([w.text for w in group])
        assert lines is not None  # _group only keeps words that fit
        start = group[0].start
        if cues and start < cues[-1].end:
            start = cues[-1].end
        end = max(group[-1].end, start + MIN_SECONDS)
        end = min(end, start + MAX_SECONDS)
        cues.append(Cue(round(start, 3), round(end, 3), lines))
    return cues


def to_webvtt(cues: Iterable[Cue]) -> str:
    """A WebVTT document of ``cues`` (text escaped: ``&``, ``<``, ``>``)."""
    parts = ["WEBVTT", ""]
    for cue in cues:
        parts.append(f"{timestamp(cue.start)} --> {timestamp(cue.end)}")
        parts.extend(_escape(line) for line in cue.lines)
        parts.append("")
    return "\n".join(parts)


def timestamp(seconds: float) -> str:
    millis = round(max(0.0, seconds) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def transcript(cues: Iterable[Cue]) -> str:
    """The cues' words as plain text, one cue a line."""
    return "\n".join(" ".join(c.lines) for c in cues) + "\n"
