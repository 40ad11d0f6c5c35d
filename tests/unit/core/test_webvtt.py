"""Caption files in (WebVTT, SRT), one sanitized WebVTT out (issue 22, ADR 0068)."""

from __future__ import annotations

import pytest

from vidhost.core.errors import CodedError
from vidhost.core.text_tracks import language_tag
from vidhost.core.webvtt import (
    MAX_CAPTION_BYTES,
    parse_captions,
    sanitize_text,
    segment_vtt,
)

VTT = b"""WEBVTT - a title
Kind: captions

NOTE a comment
that spans lines

STYLE
::cue { color: red; background-image: url(http://evil.example/x) }

intro
00:00:01.000 --> 00:00:04.500 align:start position:10% region:r1 bogus:1
Hello <b>world</b>

00:01:05.250 --> 00:01:08.000
<v Roger Bingham>We are in New York City
<c.loud.x$y>second line</c>
"""

SRT = b"""1
00:00:01,000 --> 00:00:02,500
Bonjour <i>tout</i> le monde

2
00:00:03,000 --> 00:00:05,000
<font color="#ff0000">rouge</font> &amp; noir
"""


def code_of(data: bytes, **kw: int) -> str:
    with pytest.raises(CodedError) as caught:
        parse_captions(data, **kw)
    return caught.value.code


def test_webvtt_is_parsed_and_normalized() -> None:
    doc = parse_captions(VTT)
    assert doc.source_format == "vtt"
    assert [(c.start, c.end) for c in doc.cues] == [(1.0, 4.5), (65.25, 68.0)]
    first, second = doc.cues
    assert first.identifier == "intro"
    assert first.settings == "align:start position:10%"  # region and unknown keys dropped
    assert first.text == "Hello <b>world</b>"
    assert second.text == "<v Roger Bingham>We are in New York City\n<c.loud>second line</c>"
    out = doc.to_vtt()
    assert out.startswith("WEBVTT\n\nintro\n00:00:01.000 --> 00:00:04.500 align:start")
    assert "STYLE" not in out and "NOTE" not in out and "evil" not in out
    assert parse_captions(out.encode()).cues == doc.cues  # idempotent


def test_srt_becomes_webvtt() -> None:
    doc = parse_captions(SRT)
    assert doc.source_format == "srt"
    assert doc.to_vtt() == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nBonjour <i>tout</i> le monde\n\n"
        "00:00:03.000 --> 00:00:05.000\nrouge &amp; noir\n"
    )


def test_utf8_bom_and_crlf() -> None:
    data = "\ufeffWEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nÇa va — ok ✓\r\n".encode()
    doc = parse_captions(data)
    assert doc.cues[0].text == "Ça va — ok ✓"
    assert (doc.cues[0].start, doc.cues[0].end) == (1.0, 2.0)


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        ("<script>alert(1)</script>hi", "hi"),
        ('<img src=x onerror="alert(1)">x', "x"),
        ("<b onclick=alert(1)>bold</b>", "<b>bold</b>"),
        ("a < b > c & d", "a &lt; b &gt; c &amp; d"),
        ("&lt;i&gt; stays text &amp; &#x41;", "&lt;i&gt; stays text &amp; &#x41;"),
        ('<v "><script>x">who</v>', '<v &quot;>x"&gt;who</v>'),
        ("<00:00:01.500>karaoke", "<00:00:01.500>karaoke"),
        ("<iframe src=//evil>in</iframe>out", "out"),
        ("<ruby>漢<rt>kan</rt></ruby>", "<ruby>漢<rt>kan</rt></ruby>"),
        ("<a href='javascript:x'>link</a>", "link"),
    ],
)
def test_markup_is_limited_to_webvtt_tags(line: str, clean: str) -> None:
    assert sanitize_text(line) == clean


def test_a_script_across_lines_is_dropped_whole() -> None:
    data = b"WEBVTT\n\n00:00.000 --> 00:01.000\n<script>\nfetch('//evil')\n</script>\nok\n"
    assert parse_captions(data).cues[0].text == "ok"


def test_segments_carry_the_timestamp_map_and_the_overlapping_cues() -> None:
    doc = parse_captions(VTT)
    first = segment_vtt(doc, 0.0, 4.0, 0)
    assert first.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n")
    assert "Hello" in first and "New York" not in first
    assert "Hello" in segment_vtt(doc, 4.0, 8.0, 0)  # 1.0-4.5 spans the boundary
    assert "-->" not in segment_vtt(doc, 8.0, 12.0, 900000)
    assert "MPEGTS:900000" in segment_vtt(doc, 8.0, 12.0, 900000)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "invalid_caption"),
        (b"\x00\x01\x02WEBVTT binary", "invalid_caption"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\xff\xfe bad utf8\n", "invalid_caption"),
        (b"WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nbackwards\n", "invalid_caption"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:01.000\nzero\n", "invalid_caption"),
        (b"WEBVTT\n\n00:61:01.000 --> 00:62:00.000\nminutes\n", "invalid_caption"),
        (b"WEBVTT\n\n00:00:01.0 --> 00:00:02.000\nmillis\n", "invalid_caption"),
        (b"WEBVTT\n\nnot a timing line\n", "invalid_caption"),
        (
            b"WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nb\n\n00:00:01.000 --> 00:00:02.000\na\n",
            "invalid_caption",
        ),
        (b"WEBVTT\n\nNOTE only a note\n", "invalid_caption"),
        (b"[Script Info]\nTitle: x\n", "unsupported_caption_format"),
        (
            b'<?xml version="1.0"?><tt xmlns="http://www.w3.org/ns/ttml"/>',
            "unsupported_caption_format",
        ),
        (b"just some text\n", "unsupported_caption_format"),
        (b"1\n00:00:01,000 --> 00:00:0x,000\nbroken\n", "invalid_caption"),
    ],
)
def test_bad_files_are_refused_with_their_code(data: bytes, code: str) -> None:
    assert code_of(data) == code


def test_size_and_cue_caps() -> None:
    big = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + b"x" * MAX_CAPTION_BYTES
    assert code_of(big) == "caption_too_large"
    many = b"WEBVTT\n\n" + b"".join(
        f"00:00:{i:02d}.000 --> 00:00:{i:02d}.500\nc{i}\n\n".encode() for i in range(6)
    )
    assert code_of(many, max_cues=5) == "caption_too_large"
    assert len(parse_captions(many, max_cues=6).cues) == 6


@pytest.mark.parametrize(
    ("raw", "tag"),
    [("en", "en"), ("EN-us", "en-US"), ("pt_br", "pt-BR"), ("zh-hans-cn", "zh-Hans-CN")],
)
def test_language_tags(raw: str, tag: str) -> None:
    assert language_tag(raw) == tag


@pytest.mark.parametrize("raw", ["", "english!", "e", "en-", "x" * 40])
def test_bad_language_tags(raw: str) -> None:
    with pytest.raises(CodedError) as caught:
        language_tag(raw)
    assert caught.value.code == "invalid_request"
