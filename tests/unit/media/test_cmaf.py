"""CMAF packaging over MP4 boxes (ADR 0063), on bytes built here box by box."""

from __future__ import annotations

import struct

import pytest

from vidhost.media import cmaf


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _full(kind: bytes, version: int, flags: int, body: bytes) -> bytes:
    return _box(kind, bytes([version]) + flags.to_bytes(3, "big") + body)


def _init(scale: int = 48_000, default_duration: int = 1024) -> bytes:
    mdhd = _full(b"mdhd", 0, 0, struct.pack(">IIII", 0, 0, scale, 0) + b"\0" * 4)
    tkhd = _full(b"tkhd", 0, 3, b"\0" * 80)
    trak = _box(b"trak", tkhd + _box(b"mdia", mdhd))
    trex = _full(b"trex", 0, 0, struct.pack(">IIIII", 1, 1, default_duration, 0, 0))
    moov = _box(b"moov", _full(b"mvhd", 0, 0, b"\0" * 96) + trak + _box(b"mvex", trex))
    return _box(b"ftyp", b"iso6\0\0\0\0iso6") + moov


def _fragment(tfdt_version: int, durations: list[int] | None, count: int = 3) -> bytes:
    """moof (mfhd, traf: tfhd, tfdt, trun with data offset [and durations]) + mdat."""
    payload = b"\xaa" * (10 * count)
    flags = 0x1 | 0x200 | (0x100 if durations else 0)
    entries = b"".join(
        (struct.pack(">I", durations[i]) if durations else b"") + struct.pack(">I", 10)
        for i in range(count)
    )
    tfdt_body = struct.pack(">Q" if tfdt_version else ">I", 7)
    traf_children = (
        _full(b"tfhd", 0, 0x20000, struct.pack(">I", 1))
        + _full(b"tfdt", tfdt_version, 0, tfdt_body)
        + _full(b"trun", 0, flags, struct.pack(">Ii", count, 0) + entries)
    )
    moof = bytearray(
        _box(b"moof", _full(b"mfhd", 0, 0, struct.pack(">I", 1)) + _box(b"traf", traf_children))
    )
    # the data offset: from the moof's first byte to the mdat's payload
    trun_at = moof.find(b"trun") - 4
    struct.pack_into(">i", moof, trun_at + 16, len(moof) + 8)
    return bytes(moof) + _box(b"mdat", payload)


def _payload(segment: bytes) -> bytes:
    """The sample bytes a trun's data offset points at (relative to its moof)."""
    moof = next(b for b in cmaf.boxes(segment) if b.kind == b"moof")
    trun = cmaf.find(segment, (b"traf", b"trun"), start=moof.body)
    assert trun is not None
    (count, offset) = struct.unpack_from(">Ii", segment, trun.body + 4)
    return segment[moof.start + offset : moof.start + offset + 10 * count]


def test_split_keeps_the_init_and_the_fragment_and_drops_the_rest() -> None:
    init = _init()
    fragment = _fragment(1, [1024, 1024, 1024])
    parts = cmaf.split(init + fragment + _box(b"mfra", b"\0" * 8))
    assert parts.init == init and parts.fragment == fragment
    assert cmaf.timescale(parts.init) == 48_000


@pytest.mark.parametrize("version", [0, 1])
def test_a_media_segment_is_placed_on_the_timeline(version: int) -> None:
    fragment = _fragment(version, [1000, 1024, 1048])
    segment = cmaf.media_segment(fragment, decode_time=2**33 + 5, sequence=42)
    first = next(cmaf.boxes(segment))
    assert first.kind == b"styp" and segment[8:12] == cmaf.STYP
    assert cmaf.decode_time(segment) == 2**33 + 5  # 64-bit, even from a 32-bit tfdt
    mfhd = cmaf.find(segment, (b"mfhd",), start=next(cmaf.boxes(segment, first.end)).body)
    assert mfhd is not None and struct.unpack_from(">I", segment, mfhd.body + 4)[0] == 42
    assert _payload(segment) == b"\xaa" * 30  # data offsets still point at the samples
    assert cmaf.duration(fragment, _init()) == 3072


def test_durations_fall_back_to_the_track_default() -> None:
    assert cmaf.duration(_fragment(1, None, count=4), _init(default_duration=512)) == 2048


def test_the_audio_init_gets_an_edit_list_that_skips_the_priming() -> None:
    init = cmaf.with_edit_list(_init(), 1024)
    elst = cmaf.find(init, (b"moov", b"trak", b"edts", b"elst"))
    assert elst is not None
    count, duration, media_time = struct.unpack_from(">IIi", init, elst.body + 4)
    assert (count, duration, media_time) == (1, 0, 1024)
    sizes = [b.size for b in cmaf.boxes(init)]
    assert sum(sizes) == len(init)  # every size adjusted
    assert cmaf.with_edit_list(init, 2048).count(b"edts") == 1  # replaced, not added


def test_bytes_that_are_not_fragmented_mp4_are_refused() -> None:
    with pytest.raises(cmaf.CmafError):
        cmaf.split(b"\0\0\0\x10moov\0\0")  # runs past its end
    with pytest.raises(cmaf.CmafError):
        cmaf.split(_init())  # no fragment
    with pytest.raises(cmaf.CmafError):
        cmaf.split(_fragment(1, [1, 2, 3]))  # no init


def test_a_stored_segment_is_placed_again_on_another_timeline() -> None:
    fragment = _fragment(0, [1000, 1024, 1048])
    stored = cmaf.media_segment(fragment, decode_time=90_000, sequence=7)
    assert cmaf.fragment(stored) != fragment  # its tfdt widened and set
    moved = cmaf.media_segment(cmaf.fragment(stored), decode_time=1_000, sequence=2)
    assert cmaf.decode_time(moved) == 1_000
    assert _payload(moved) == _payload(stored) == b"\xaa" * 30
    with pytest.raises(cmaf.CmafError):
        cmaf.fragment(_init())  # no samples


def test_inits_that_differ_only_in_metadata_decode_alike() -> None:
    init = _init()
    udta = _box(b"udta", _box(b"meta", b"\0" * 12 + b"a title"))
    moov = cmaf.find(init, (b"moov",))
    assert moov is not None
    grown = bytearray(init + udta)
    struct.pack_into(">I", grown, moov.start, moov.size + len(udta))
    assert cmaf.same_decoding(init, bytes(grown))
    assert not cmaf.same_decoding(init, _init(scale=90_000))  # another timescale
    assert not cmaf.same_decoding(init, _init(default_duration=512))  # other defaults
