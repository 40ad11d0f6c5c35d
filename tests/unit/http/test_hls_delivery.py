"""The pure parts of the one delivery path (ADR 0064): names, content types, URI prefixes."""

from __future__ import annotations

import pytest

from vidhost.http import hls as hls
from vidhost.http.errors import ApiError


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("360p_00003.ts", "video/MP2T"),
        ("360p_00003.m4s", "video/iso.segment"),
        ("360p_init.mp4", "video/mp4"),
        ("master.m3u8", "application/vnd.apple.mpegurl"),
        ("manifest.mpd", "application/dash+xml"),
        ("poster.bin", "application/octet-stream"),
    ],
)
def test_the_content_type_follows_the_extension(name: str, expected: str) -> None:
    assert hls.content_type(name) == expected


@pytest.mark.parametrize(
    "name", ["..", "360p_3.ts", "360p_00003.exe", "../360p_00003.ts", "a b_00001.ts", ""]
)
def test_a_name_vidhost_never_writes_is_a_404_before_any_lookup(name: str) -> None:
    with pytest.raises(ApiError) as raised:
        hls.check_media_name(name)
    assert raised.value.status == 404 and raised.value.code == "segment_not_found"


def test_segment_names_pass_and_renditions_are_checked() -> None:
    assert hls.check_media_name("audio_00012.ts") == "audio_00012.ts"
    assert hls.variant_name("720p") == "720p.m3u8"
    for bad in ("master", "a.b", "x" * 65):
        with pytest.raises(ApiError):
            hls.variant_name(bad)


def test_the_mux_prefix_goes_before_relative_uris_only() -> None:
    master = (
        "#EXTM3U\n"
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",URI="audio.m3u8"\n'
        '#EXT-X-MAP:URI="https://cdn.example/init.mp4"\n'
        "#EXT-X-STREAM-INF:BANDWIDTH=1\n"
        "360p.m3u8\n"
    )
    out = hls.prefix_uris(master, "pid/hls/")
    assert 'URI="pid/hls/audio.m3u8"' in out
    assert 'URI="https://cdn.example/init.mp4"' in out
    assert "\npid/hls/360p.m3u8\n" in out
