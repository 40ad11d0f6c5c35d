"""A corpus of hostile media files, built by the tests (issue 14, ADR 0051).

Not a test module. Each builder writes one file that tries to make ffmpeg or PyAV open
something other than itself: a local "canary" file, another user's segment, or an http URL
on a local listener (``tests.http_server.Listener``, which counts every connection). A
server that handles them safely refuses them at upload and never touches the canary or the
listener.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from tests.clips import make_clip
from vidhost.media.binaries import ffmpeg_path

CANARY_TEXT = "CANARY-7f3a9c1e-private-meeting"


def canary_files(directory: Path) -> tuple[Path, Path]:
    """A private MPEG-TS clip (solid red) and a text file holding :data:`CANARY_TEXT`."""
    directory.mkdir(parents=True, exist_ok=True)
    clip = make_clip(directory / "private_meeting.ts", duration=1.0, color="red", audio=False)
    text = directory / "canary.txt"
    text.write_text(CANARY_TEXT + "\n")
    return clip, text


def dash_manifest(path: Path, canary_clip: Path, relative_target: str) -> Path:
    """A DASH MPD with one absolute ``file://`` and one relative ``<BaseURL>``."""
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
        'mediaPresentationDuration="PT1S" minBufferTime="PT1S" '
        'profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">\n'
        "  <Period>\n"
        '    <AdaptationSet mimeType="video/mp2t" contentType="video">\n'
        '      <Representation id="a" bandwidth="100000" width="320" height="240">\n'
        f"        <BaseURL>file://{canary_clip}</BaseURL>\n"
        "        <SegmentBase/>\n"
        "      </Representation>\n"
        '      <Representation id="b" bandwidth="90000" width="320" height="240">\n'
        f"        <BaseURL>{relative_target}</BaseURL>\n"
        "        <SegmentBase/>\n"
        "      </Representation>\n"
        "    </AdaptationSet>\n"
        "  </Period>\n"
        "</MPD>\n"
    )
    return path


def _playlist(canary_clip: Path, listener_url: str) -> str:
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:1.0,\nfile://{canary_clip}\n"
        f"#EXTINF:1.0,\n{canary_clip}\n"
        f"#EXTINF:1.0,\n{listener_url}/segment.ts\n"
        "#EXT-X-ENDLIST\n"
    )


def hls_playlist(path: Path, canary_clip: Path, listener_url: str) -> Path:
    """An HLS media playlist naming the canary (as URL and path) and a URL on the listener."""
    path.write_text(_playlist(canary_clip, listener_url))
    return path


def ffconcat_self_include(path: Path) -> Path:
    """33 bytes: a concat script that includes itself (the storage key is ``.../source``)."""
    path.write_bytes(b"ffconcat version 1.0\nfile source\n")
    return path


def _chunk(tag: bytes, data: bytes) -> bytes:
    pad = b"\x00" if len(data) % 2 else b""
    return tag + struct.pack("<I", len(data)) + data + pad


def _list(kind: bytes, body: bytes) -> bytes:
    return _chunk(b"LIST", kind + body)


def avi_with_playlist(path: Path, canary_clip: Path, listener_url: str) -> Path:
    """An AVI whose only stream is a GAB2 subtitle track carrying an HLS playlist.

    The shape of the published ffmpeg AVI/HLS disclosure: the AVI demuxer hands the GAB2
    payload to a probed sub-demuxer, which (on vulnerable builds) is the HLS reader.
    """
    avih = struct.pack("<10I4I", 40000, 0, 0, 0x10, 1, 0, 1, 0x100000, 320, 240, 0, 0, 0, 0)
    strh = struct.pack(
        "<4s4sIHHIIIIIIIIhhhh", b"txts", b"\x00\x00\x00\x00", 0, 0, 0, 0, 1, 25, 0, 1,
        0x1000, 0xFFFFFFFF, 0, 0, 0, 320, 240,
    )  # fmt: skip
    strf = b""
    strl = _list(b"strl", _chunk(b"strh", strh) + _chunk(b"strf", strf))
    hdrl = _list(b"hdrl", _chunk(b"avih", avih) + strl)
    playlist = _playlist(canary_clip, listener_url).encode()
    name = "playlist.m3u8\x00".encode("utf-16-le")
    gab2 = (
        b"GAB2\x00\x02\x00"
        + struct.pack("<I", len(name))
        + name
        + b"\x04\x00"
        + struct.pack("<I", len(playlist))
        + playlist
    )
    movi = _list(b"movi", _chunk(b"00tx", gab2))
    body = b"AVI " + hdrl + movi
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def pixel_bomb(path: Path) -> Path:
    """One 16000x16000 H.264 frame of one colour: a few KB that decode to 384 MB."""
    args = [
        ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "lavfi", "-i", "color=c=black:s=16000x16000:r=1:d=1",
        "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-x264-params", "level=6.2", "-f", "matroska", str(path),
    ]  # fmt: skip
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    return path


def duration_bomb(path: Path) -> Path:
    """Two tiny frames, at t=0 and t=86400 s: a 24 h video of a few KB."""
    args = [
        ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "lavfi", "-i", "color=c=blue:s=64x64:r=1:d=2",
        "-vf", "setpts=N*86400/TB", "-fps_mode", "passthrough", "-enc_time_base", "1",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-f", "matroska", str(path),
    ]  # fmt: skip
    subprocess.run(args, check=True, capture_output=True, timeout=60)
    return path
