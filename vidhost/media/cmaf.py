"""CMAF packaging of ffmpeg's fragmented MP4 output (ADR 0063): init segments and media
segments placed on one timeline, in pure Python over the bytes (no ffmpeg here).

Every chunk (and the audio) is encoded by its own ffmpeg process; its segment muxer writes
each segment as a small fragmented MP4 (``ftyp`` + ``moov`` + one ``moof``/``mdat`` pair,
``negative_cts_offsets`` so a segment's first frame is presented at its decode time). This
module splits such a file into

- the **init segment** (``ftyp`` + ``moov``): the same bytes for every chunk of a rendition
  (same encoder settings, a fixed track timescale), stored once per rendition;
- the **media segment** (``styp`` + ``moof`` + ``mdat``): its ``tfdt`` (baseMediaDecodeTime)
  set to the segment's place on the whole video's timeline and its ``mfhd`` sequence number
  to the segment's index, so the segments of separate processes follow each other with no
  gap and no overlap — fMP4 has no continuity counters to restart (the MPEG-TS fault).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

STYP = b"msdh"
"""Major brand of a media segment's ``styp`` (ISO/IEC 23009-1 media segment)."""
_STYP_BRANDS = (b"msdh", b"msix", b"cmfs")
_INIT_BOXES = frozenset({b"ftyp", b"moov"})
_CONTAINERS = frozenset(
    {b"moov", b"trak", b"edts", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mvex"}
)


class CmafError(ValueError):
    """The bytes are not the fragmented MP4 this module expects."""


@dataclass(frozen=True)
class Box:
    kind: bytes
    start: int
    """Offset of the box's header in the buffer."""
    header: int
    size: int

    @property
    def end(self) -> int:
        return self.start + self.size

    @property
    def body(self) -> int:
        return self.start + self.header


def boxes(data: bytes | bytearray, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes laid one after another in ``data[start:end]``."""
    stop = len(data) if end is None else end
    offset = start
    while offset < stop:
        if stop - offset < 8:
            raise CmafError("truncated box header")
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            if stop - offset < 16:
                raise CmafError("truncated box header")
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        elif size == 0:
            size = stop - offset
        if size < header or offset + size > stop:
            raise CmafError(f"box {kind!r} runs past its parent")
        yield Box(kind, offset, header, size)
        offset += size


def find(data: bytes | bytearray, path: tuple[bytes, ...], start: int = 0) -> Box | None:
    """The first box at ``path`` (e.g. ``(b"moof", b"traf", b"tfdt")``) under ``start``."""
    end: int | None = None
    box: Box | None = None
    for kind in path:
        box = next((b for b in boxes(data, start, end) if b.kind == kind), None)
        if box is None:
            return None
        if kind in _CONTAINERS:
            start, end = box.body, box.end
    return box


@dataclass(frozen=True)
class Split:
    init: bytes
    fragment: bytes
    """Every ``moof``/``mdat`` pair of the file, in order (``mfra`` and the like dropped)."""


def split(data: bytes) -> Split:
    """A segment file written by ffmpeg's MP4 muxer -> its init and its fragment(s)."""
    init = bytearray()
    fragment = bytearray()
    for box in boxes(data):
        if box.kind in _INIT_BOXES:
            init += data[box.start : box.end]
        elif box.kind in (b"moof", b"mdat"):
            fragment += data[box.start : box.end]
    if find(init, (b"moov",)) is None:
        raise CmafError("no moov: not a fragmented MP4 with an empty moov")
    if find(fragment, (b"moof",)) is None:
        raise CmafError("no moof: the segment holds no samples")
    return Split(bytes(init), bytes(fragment))


def timescale(init: bytes) -> int:
    """The track's media timescale (``mdhd``)."""
    mdhd = find(init, (b"moov", b"trak", b"mdia", b"mdhd"))
    if mdhd is None:
        raise CmafError("no mdhd in the init segment")
    version = init[mdhd.body]
    offset = mdhd.body + 4 + (16 if version == 1 else 8)
    (scale,) = struct.unpack_from(">I", init, offset)
    return int(scale)


def _trex_default_duration(init: bytes) -> int:
    trex = find(init, (b"moov", b"mvex", b"trex"))
    if trex is None:
        return 0
    (duration,) = struct.unpack_from(">I", init, trex.body + 12)
    return int(duration)


def duration(fragment: bytes, init: bytes) -> int:
    """Sum of the fragment's sample durations, in the track's timescale."""
    total = 0
    for moof in (b for b in boxes(fragment) if b.kind == b"moof"):
        for traf in (b for b in boxes(fragment, moof.body, moof.end) if b.kind == b"traf"):
            default = _trex_default_duration(init)
            for box in boxes(fragment, traf.body, traf.end):
                if box.kind == b"tfhd":
                    flags = int.from_bytes(fragment[box.body + 1 : box.body + 4], "big")
                    offset = box.body + 8 + (8 if flags & 0x1 else 0) + (4 if flags & 0x2 else 0)
                    if flags & 0x8:
                        (default,) = struct.unpack_from(">I", fragment, offset)
                elif box.kind == b"trun":
                    total += _trun_duration(fragment, box, default)
    return total


def _trun_duration(data: bytes, trun: Box, default: int) -> int:
    flags = int.from_bytes(data[trun.body + 1 : trun.body + 4], "big")
    (count,) = struct.unpack_from(">I", data, trun.body + 4)
    if not flags & 0x100:
        return int(count * default)
    offset = trun.body + 8 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    stride = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
    total = 0
    for i in range(count):
        (sample,) = struct.unpack_from(">I", data, offset + i * stride)
        total += sample
    return total


def media_segment(fragment: bytes, *, decode_time: int, sequence: int) -> bytes:
    """``styp`` + the fragment, its every ``tfdt`` set to ``decode_time`` (64-bit) and its
    ``mfhd`` sequence numbers counted from ``sequence``."""
    out = bytearray()
    number = sequence
    for box in boxes(fragment):
        piece = bytearray(fragment[box.start : box.end])
        if box.kind == b"moof":
            piece = _placed(piece, decode_time, number)
            number += 1
        out += piece
    styp = STYP + struct.pack(">I", 0) + b"".join(_STYP_BRANDS)
    return struct.pack(">I4s", 8 + len(styp), b"styp") + styp + bytes(out)


def _placed(moof: bytearray, decode_time: int, sequence: int) -> bytearray:
    """One ``moof`` with its ``tfdt`` and ``mfhd`` set (a version 0 ``tfdt`` is widened to
    version 1, the box sizes and ``trun`` data offsets adjusted)."""
    mfhd = find(moof, (b"moof", b"mfhd"))
    if mfhd is None:
        raise CmafError("moof without mfhd")
    struct.pack_into(">I", moof, mfhd.body + 4, sequence)
    tfdt = find(moof, (b"moof", b"traf", b"tfdt"))
    if tfdt is None:
        raise CmafError("moof without tfdt")
    if moof[tfdt.body] == 1:
        struct.pack_into(">Q", moof, tfdt.body + 4, decode_time)
        return moof
    # Version 0 (32-bit): widen to version 1; moof and traf grow by 4 bytes, and so does
    # every trun data offset (relative to the moof with default-base-is-moof).
    traf = find(moof, (b"moof", b"traf"))
    assert traf is not None
    wide = struct.pack(">I4sB3xQ", 20, b"tfdt", 1, decode_time)
    grown = moof[: tfdt.start] + wide + moof[tfdt.end :]
    struct.pack_into(">I", grown, 0, len(grown))
    struct.pack_into(">I", grown, traf.start, traf.size + 4)
    for box in boxes(grown, traf.body, traf.end + 4):
        if box.kind == b"trun":
            flags = int.from_bytes(grown[box.body + 1 : box.body + 4], "big")
            if flags & 0x1:
                (offset,) = struct.unpack_from(">i", grown, box.body + 8)
                struct.pack_into(">i", grown, box.body + 8, offset + 4)
    return grown


def decode_time(segment: bytes) -> int:
    """The ``tfdt`` of a media segment's first fragment."""
    moof = next((b for b in boxes(segment) if b.kind == b"moof"), None)
    if moof is None:
        raise CmafError("no moof")
    tfdt = find(segment, (b"traf", b"tfdt"), start=moof.body)
    if tfdt is None:
        raise CmafError("no tfdt")
    if segment[tfdt.body] == 1:
        return int(struct.unpack_from(">Q", segment, tfdt.body + 4)[0])
    return int(struct.unpack_from(">I", segment, tfdt.body + 4)[0])


def with_edit_list(init: bytes, media_time: int) -> bytes:
    """The init segment with an edit list that starts presentation ``media_time`` ticks into
    the track (an AAC encoder's priming samples are decoded, never played), as ffmpeg's own
    fragmented MP4 writes it: one edit, duration 0 (the whole track). An existing ``edts``
    is replaced."""
    moov = find(init, (b"moov",))
    trak = find(init, (b"moov", b"trak"))
    tkhd = find(init, (b"moov", b"trak", b"tkhd"))
    if moov is None or trak is None or tkhd is None:
        raise CmafError("no track in the init segment")
    old = find(init, (b"moov", b"trak", b"edts"))
    elst = struct.pack(">I4sB3xIIiHH", 28, b"elst", 0, 1, 0, media_time, 1, 0)
    edts = struct.pack(">I4s", 8 + len(elst), b"edts") + elst
    body = bytearray(init[trak.body : trak.end])
    if old is not None:
        del body[old.start - trak.body : old.end - trak.body]
    at = tkhd.end - trak.body
    body[at:at] = edts
    grown = len(body) - (trak.size - trak.header)
    out = bytearray(init[: trak.body]) + body + init[trak.end :]
    for box in (moov, trak):  # both contain the edit; 32-bit sizes (an init is small)
        (size,) = struct.unpack_from(">I", out, box.start)
        struct.pack_into(">I", out, box.start, size + grown)
    return bytes(out)


def fragment(segment: bytes) -> bytes:
    """A stored media segment's ``moof``/``mdat`` pairs (its ``styp`` dropped): what
    ``media_segment`` places again, e.g. on a clip's timeline (ADR 0067)."""
    out = b"".join(segment[b.start : b.end] for b in boxes(segment) if b.kind in (b"moof", b"mdat"))
    if find(out, (b"moof",)) is None:
        raise CmafError("no moof: the segment holds no samples")
    return out


def same_decoding(a: bytes, b: bytes) -> bool:
    """Do two init segments decode the same fragments alike: the same ``moov`` but for its
    ``udta`` (the metadata the muxer copies from its input: a title, the muxer's name)?
    The sample description (codec configuration: SPS/PPS), the timescale and the fragment
    defaults are all in what is compared."""

    def decoding(init: bytes) -> list[bytes]:
        moov = find(init, (b"moov",))
        if moov is None:
            raise CmafError("no moov in the init segment")
        return [
            init[c.start : c.end] for c in boxes(init, moov.body, moov.end) if c.kind != b"udta"
        ]

    return decoding(a) == decoding(b)
