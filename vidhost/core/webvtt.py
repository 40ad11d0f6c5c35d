"""Caption files: WebVTT and SRT in, one sanitized WebVTT out (issue 22, ADR 0068).

``parse_captions`` is the one gate every caption file passes (uploads on every surface, URL
pulls, generated tracks): the bytes must be UTF-8 text (a BOM is dropped) that parses as
WebVTT or SRT, with cue timestamps in range (minutes and seconds < 60, end after start,
starts in order), under a size cap and a cue-count cap. What comes out is a ``Captions``
document whose ``to_vtt()`` is the only text vidhost stores and serves:

- cue text keeps WebVTT's own markup only (``c``, ``i``, ``b``, ``u``, ``ruby``, ``rt``,
  ``v``, ``lang`` and timestamp tags, classes limited to ``[A-Za-z0-9_-]``); every other
  tag is dropped (the text of ``script``/``style`` elements with it), and a stray ``<``,
  ``>`` or ``&`` is escaped, so no markup a browser would run reaches a player;
- cue settings keep the known keys with valid values; ``STYLE``, ``REGION`` and ``NOTE``
  blocks are dropped (a player styles cues, not the uploader's CSS).

``segment_vtt`` cuts the document for one HLS segment (the cues overlapping it, with the
``X-TIMESTAMP-MAP`` header that ties cue times to the media timestamps). Pure: no I/O.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from vidhost.core.errors import InvalidInput, TooLarge

MAX_CAPTION_BYTES = 2 * 1024 * 1024
"""Largest caption file accepted (``caption_too_large``, 413)."""
MAX_CUES = 20_000
"""Most cues in one file (a 6-hour film at one cue every second is 21 600)."""
MAX_TIME = 24 * 3600.0
"""No cue may start or end past 24 hours."""

_TIME = re.compile(r"^(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)[.,](\d{3})$")
_LOOSE_TIME = r"[0-9:.,]+"
_TIMING = re.compile(rf"^\s*({_LOOSE_TIME})\s+-->\s+({_LOOSE_TIME})(?:\s+(.*))?$")
_SETTING_VALUES = {
    "vertical": re.compile(r"^(rl|lr)$"),
    "line": re.compile(r"^(-?\d+(\.\d+)?%?|\d+(\.\d+)?%?)(,(start|center|end))?$"),
    "position": re.compile(r"^\d+(\.\d+)?%(,(line-left|center|line-right))?$"),
    "size": re.compile(r"^\d+(\.\d+)?%$"),
    "align": re.compile(r"^(start|center|end|left|right)$"),
}
_TAG = re.compile(r"<(/?[A-Za-z0-9][^<>]*)>")
"""A tag starts right after ``<`` (``a < b`` is text)."""
_ALLOWED_TAGS = frozenset({"c", "i", "b", "u", "ruby", "rt", "v", "lang"})
_ANNOTATED = frozenset({"v", "lang"})
_CLASS = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_DROPPED_ELEMENTS = re.compile(
    r"<\s*(script|style|iframe|object|embed|svg|math|template)\b[^>]*>.*?<\s*/\s*\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_TIMESTAMP_TAG = re.compile(r"^(?:\d{1,3}:)?[0-5]\d:[0-5]\d\.\d{3}$")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#\d{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_OTHER_FORMATS = (
    ("[script info]", "SSA/ASS"),
    ("<?xml", "TTML/XML"),
    ("<tt", "TTML"),
    ("scenarist_scc", "SCC"),
    ("{\\rtf", "RTF"),
    ("<sami", "SAMI"),
)


_TAGS = re.compile(r"<[^>]*>")


def invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_caption")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    """Sanitized cue payload (WebVTT markup only), lines joined by ``\\n``."""
    identifier: str = ""
    settings: str = ""


@dataclass(frozen=True)
class Captions:
    cues: tuple[Cue, ...]
    source_format: str
    """``vtt`` or ``srt``: what the file was."""

    @property
    def duration(self) -> float:
        return max((c.end for c in self.cues), default=0.0)

    def to_vtt(self) -> str:
        return render(self.cues)

    def overlapping(self, start: float, end: float) -> list[Cue]:
        """Cues shown at some time in ``[start, end)``."""
        return [c for c in self.cues if c.start < end and c.end > start]

    def plain_text(self) -> str:
        """The words as plain text: each cue's on a line, markup removed, a line repeated
        by the next cue once (the transcript, and what ``GET /api/videos?q=`` searches)."""
        lines: list[str] = []
        for cue in self.cues:
            line = " ".join(html.unescape(_TAGS.sub("", cue.text)).split())
            if line and (not lines or lines[-1] != line):
                lines.append(line)
        return "\n".join(lines) + "\n" if lines else ""


def timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm`` (WebVTT)."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def _cue_block(cue: Cue) -> str:
    head = f"{timestamp(cue.start)} --> {timestamp(cue.end)}"
    if cue.settings:
        head += " " + cue.settings
    lines = [cue.identifier] if cue.identifier else []
    return "\n".join([*lines, head, cue.text])


def render(cues: tuple[Cue, ...] | list[Cue], header: str = "WEBVTT") -> str:
    return "\n\n".join([header, *(_cue_block(c) for c in cues)]) + "\n"


def segment_vtt(captions: Captions, start: float, end: float, mpegts: int) -> str:
    """The WebVTT of one HLS segment ``[start, end)``: the cues it overlaps (whole: a player
    drops the repeats of a cue that spans segments), times on the media timeline, and
    ``X-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000`` (the 90 kHz media timestamp of
    time 0)."""
    header = f"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000"
    return render(captions.overlapping(start, end), header)


# --- parsing ---------------------------------------------------------------------------------


def _seconds(text: str) -> float:
    match = _TIME.match(text)
    if match is None:
        raise invalid(f"bad timestamp {text[:32]!r}")
    hours, minutes, secs, millis = match.groups()
    value = int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(millis) / 1000
    if value > MAX_TIME:
        raise invalid(f"timestamp {text!r} is past 24 hours")
    return value


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise invalid("the caption file is binary, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid(f"the caption file is not UTF-8 (byte {exc.start})") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise invalid("the caption file has control characters")
    return text


def detect(text: str) -> str:
    """``vtt`` or ``srt``; ``unsupported_caption_format`` for anything else."""
    first = text.lstrip()
    if first.startswith("WEBVTT") and (len(first) == 6 or first[6] in " \t\n"):
        return "vtt"
    lowered = first[:64].lower()
    for marker, name in _OTHER_FORMATS:
        if lowered.startswith(marker):
            raise InvalidInput(
                f"{name} captions are not supported: upload WebVTT or SRT",
                code="unsupported_caption_format",
            )
    lines = first.split("\n", 2)
    if len(lines) >= 2 and lines[0].strip().isdigit() and "-->" in lines[1]:
        return "srt"
    if "-->" in first.split("\n\n", 1)[0]:
        return "srt"  # SRT without cue numbers: parsed as such, or refused with the reason
    raise InvalidInput(
        "the file is neither WebVTT (no WEBVTT header) nor SRT", code="unsupported_caption_format"
    )


def parse_captions(
    data: bytes, *, max_bytes: int = MAX_CAPTION_BYTES, max_cues: int = MAX_CUES
) -> Captions:
    """Parse, check and sanitize a caption file (see the module's docstring)."""
    if len(data) > max_bytes:
        raise TooLarge(
            f"the caption file is {len(data)} bytes, over the {max_bytes} byte limit",
            code="caption_too_large",
        )
    if not data.strip():
        raise invalid("the caption file is empty")
    text = _decode(data)
    kind = detect(text)
    blocks = [b for b in re.split(r"\n[ \t]*\n", text.strip("\n")) if b.strip()]
    if kind == "vtt":
        blocks = blocks[1:]  # the header block (WEBVTT and its header lines)
    cues: list[Cue] = []
    for block in blocks:
        cue = _cue(block, srt=kind == "srt")
        if cue is None:
            continue
        if len(cues) >= max_cues:
            raise TooLarge(f"more than {max_cues} cues", code="caption_too_large")
        if cues and cue.start < cues[-1].start:
            raise invalid(
                f"cue at {timestamp(cue.start)} starts before the one before it "
                f"({timestamp(cues[-1].start)}): cues must be in order"
            )
        cues.append(cue)
    if not cues:
        raise invalid("the caption file has no cues")
    return Captions(tuple(cues), kind)


def _cue(block: str, *, srt: bool) -> Cue | None:
    lines = block.split("\n")
    head = lines[0].strip()
    if not srt and (head.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in head):
        return None  # comments, style sheets and regions are dropped
    identifier = ""
    if "-->" not in lines[0]:
        identifier, lines = lines[0].strip(), lines[1:]
        if not lines:
            raise invalid(f"cue {identifier[:32]!r} has no timing line")
    timing = _TIMING.match(lines[0])
    if timing is None:
        raise invalid(f"bad cue timing line {lines[0][:64]!r}")
    start = _seconds(timing.group(1))
    end = _seconds(timing.group(2))
    if end <= start:
        raise invalid(f"cue {timing.group(1)} --> {timing.group(2)} ends before it starts")
    settings = "" if srt else _settings(timing.group(3) or "")
    if srt and identifier and not identifier.isdigit():
        raise invalid(f"bad SRT cue number {identifier[:32]!r}")
    if srt:
        identifier = ""  # SRT's numbers carry no meaning
    payload = _DROPPED_ELEMENTS.sub("", "\n".join(lines[1:]))
    text = "\n".join(filter(None, (sanitize_text(line) for line in payload.split("\n"))))
    return Cue(start, end, text, _identifier(identifier), settings)


def _identifier(identifier: str) -> str:
    cleaned = identifier.replace("-->", "").strip()[:128]
    return html.escape(cleaned, quote=False) if cleaned else ""


def _settings(raw: str) -> str:
    """The cue settings kept: known keys with valid values (regions are dropped)."""
    kept = []
    for item in raw.split():
        key, _, value = item.partition(":")
        pattern = _SETTING_VALUES.get(key)
        if pattern is not None and pattern.match(value):
            kept.append(f"{key}:{value}")
    return " ".join(kept)


# --- sanitizing ------------------------------------------------------------------------------


def _escape_text(text: str) -> str:
    """Text between tags: entities kept, a stray ``&``, ``<`` or ``>`` escaped."""
    parts = []
    last = 0
    for match in _ENTITY.finditer(text):
        parts.append(html.escape(text[last : match.start()], quote=False))
        parts.append(match.group(0))
        last = match.end()
    parts.append(html.escape(text[last:], quote=False))
    return "".join(parts)


def _tag(inner: str) -> str:
    """One tag kept (normalized) or dropped (``""``)."""
    body = inner.strip()
    if _TIMESTAMP_TAG.match(body):
        return f"<{body}>"
    closing = body.startswith("/")
    body = body.lstrip("/").strip()
    name_part, _, annotation = body.partition(" ")
    name, *classes = name_part.split(".")
    name = name.lower()
    if name not in _ALLOWED_TAGS:
        return ""
    if closing:
        return f"</{name}>"
    kept = "".join(f".{c}" for c in classes if _CLASS.match(c))
    note = ""
    if name in _ANNOTATED and annotation.strip():
        note = " " + html.escape(annotation.strip()[:64], quote=True)
    elif name in _ANNOTATED:
        return "" if name == "lang" else f"<{name}{kept}>"
    return f"<{name}{kept}{note}>"


def sanitize_text(line: str) -> str:
    """One line of cue text with WebVTT's markup only (see the module's docstring)."""
    line = _DROPPED_ELEMENTS.sub("", line)
    out = []
    last = 0
    for match in _TAG.finditer(line):
        out.append(_escape_text(line[last : match.start()]))
        out.append(_tag(match.group(1)))
        last = match.end()
    out.append(_escape_text(line[last:]))
    return "".join(out).strip()
