"""Text tracks on vidhost's own API and in its HLS/DASH (issue 22 part 1, ADR 0068): uploaded
WebVTT and SRT, a SUBTITLES group in the master playlist that hls.js lists and shows cues of
at their time, ffmpeg reading the subtitle rendition, bad files refused with their codes and
nothing stored, and another user kept out."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, set_visibility, wait_for_state
from tests.http_server import static_files
from tests.server import ServerProcess
from vidhost.media.binaries import ffmpeg_path

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[2] / "js"
SHOTS = Path(__file__).resolve().parents[3] / "build" / "test-artefacts" / "screenshots"
ALICE, BOB = auth("alice"), auth("bob")
DURATION = 12.0  # three 4 s segments

ENGLISH = b"""WEBVTT

00:00:01.000 --> 00:00:03.000
Hello from the first segment

00:00:09.000 --> 00:00:11.500
Third <b>segment</b> <script>alert(1)</script>cue
"""
FRENCH_SRT = """1
00:00:05,000 --> 00:00:07,000
Bonjour, deuxième segment

2
00:00:10,000 --> 00:00:11,000
<font color="red">Fin</font>
""".encode()


def upload(base: str, path: Path, headers: dict[str, str]) -> str:
    """``POST /upload`` with a generous timeout (the probe is slow on a busy machine)."""
    with path.open("rb") as fh:
        r = httpx.post(
            base + "/upload", files={"file": (path.name, fh, "video/mp4")}, headers=headers,
            timeout=120,
        )  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["videoId"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("captions")
    env = {**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240]"}
    server = ServerProcess(data, env=env).start()
    pages = static_files(JS)
    try:
        clip = make_clip(data / "clip.mp4", duration=DURATION, width=320, height=240)
        video_id = upload(server.url, clip, ALICE)
        status = wait_for_state(server.url, video_id, ALICE, {"ready", "failed"})
        assert status["state"] == "ready", status
        yield {
            "url": server.url,
            "id": video_id,
            "data": data,
            "page": f"{pages.base_url}/player.html",
        }
    finally:
        pages.close()
        server.stop()


def add(
    site: dict[str, Any],
    body: bytes,
    language: str,
    who: dict[str, str] = ALICE,
    video_id: str | None = None,
    **fields: str,
) -> httpx.Response:
    return httpx.post(
        f"{site['url']}/api/videos/{video_id or site['id']}/captions",
        files={"file": ("captions.vtt", body, "text/vtt")},
        data={"language": language, **fields},
        headers=who,
        timeout=30,
    )


def durations(playlist: str) -> list[float]:
    return [
        float(line[8:].rstrip(",")) for line in playlist.splitlines() if line.startswith("#EXTINF:")
    ]


@pytest.fixture(scope="module")
def tracks(site: dict[str, Any]) -> dict[str, dict[str, Any]]:
    en = add(site, ENGLISH, "en", name="English", closedCaptions="true")
    fr = add(site, FRENCH_SRT, "fr", name="Français")
    assert (en.status_code, fr.status_code) == (201, 201), (en.text, fr.text)
    return {"en": en.json(), "fr": fr.json()}


def test_tracks_are_listed_served_sanitized_and_in_the_master(site, tracks) -> None:
    en, fr = tracks["en"], tracks["fr"]
    assert en["closedCaptions"] is True and fr["closedCaptions"] is False
    assert {en["status"], fr["status"]} == {"ready"} and not en["generated"]
    details = httpx.get(f"{site['url']}/api/videos/{site['id']}", headers=ALICE).json()
    assert [(c["id"], c["language"], c["name"]) for c in details["captions"]] == [
        (en["id"], "en", "English"),
        (fr["id"], "fr", "Français"),
    ]
    vtt = httpx.get(en["url"])  # a public video: anyone reads it
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
    assert "<script>" not in vtt.text and "Third <b>segment</b> cue" in vtt.text
    srt = httpx.get(fr["url"]).text
    assert srt.startswith("WEBVTT") and "00:00:05.000 --> 00:00:07.000" in srt
    assert "<font" not in srt and "Fin" in srt

    master = httpx.get(f"{site['url']}/stream/{site['id']}/manifest").text
    media = [line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES")]
    assert len(media) == 2, master
    assert 'LANGUAGE="en"' in media[0] and "CHARACTERISTICS=" in media[0]
    assert 'LANGUAGE="fr"' in media[1] and "CHARACTERISTICS=" not in media[1]
    variants = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert variants and all('SUBTITLES="subs"' in v for v in variants)

    playlist = httpx.get(f"{site['url']}/stream/{site['id']}/subs-{en['id']}.m3u8").text
    video = httpx.get(f"{site['url']}/stream/{site['id']}/240p.m3u8").text
    assert durations(playlist) == durations(video) and len(durations(video)) > 2  # aligned
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    starts = [sum(durations(video)[:i]) for i in range(len(segments))]
    at_9_5 = max(i for i, start in enumerate(starts) if start <= 9.5)
    cut = httpx.get(f"{site['url']}/stream/{site['id']}/{segments[at_9_5]}")
    assert cut.status_code == 200 and cut.headers["content-type"].startswith("text/vtt")
    assert "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000" in cut.text
    assert "00:00:09.000 --> 00:00:11.500" in cut.text and "Hello" not in cut.text

    mpd = httpx.get(f"{site['url']}/stream/{site['id']}/manifest.mpd").text
    assert mpd.count('contentType="text"') == 2 and f"subs-{en['id']}.vtt" in mpd


def test_hls_js_lists_both_languages_and_shows_a_cue_at_its_time(site, tracks) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "captions_hls_js.png"
    out = subprocess.run(
        [
            "node",
            str(JS / "hls_captions.mjs"),
            site["page"],
            f"{site['url']}/stream/{site['id']}/manifest",
            "en",
            "9.5",
            str(shot),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert [t["lang"] for t in result["tracks"]] == ["en", "fr"], result
    assert result["cue"] is not None, result
    assert abs(result["cue"]["start"] - 9.0) < 0.05 and abs(result["cue"]["end"] - 11.5) < 0.05
    assert result["cue"]["text"].startswith("Third"), result
    assert shot.stat().st_size > 0


def test_shaka_lists_the_dash_text_sets_and_loads_their_cues(site, tracks) -> None:
    out = subprocess.run(
        [
            "node",
            str(JS / "shaka_captions.mjs"),
            site["page"].replace("player.html", "shaka.html"),
            f"{site['url']}/stream/{site['id']}/manifest.mpd",
            "fr",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert sorted(t["language"] for t in result["textTracks"]) == ["en", "fr"], result
    assert any(
        c["text"].startswith("Bonjour") and abs(c["start"] - 5.0) < 0.05 for c in result["cues"]
    ), result


def test_ffmpeg_reads_the_subtitle_rendition(site, tracks, tmp_path) -> None:
    out = tmp_path / "fr.vtt"
    url = f"{site['url']}/stream/{site['id']}/subs-{tracks['fr']['id']}.m3u8"
    run = subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-y", "-i", url, str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    text = out.read_text()
    assert "Bonjour, deuxième segment" in text and "00:05.000 --> " in text, text


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", 400, "invalid_caption"),
        (b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nbackwards\n", 400, "invalid_caption"),
        (b"[Script Info]\nScriptType: v4.00+\n", 400, "unsupported_caption_format"),
        (
            b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + b"x" * (2 * 1024 * 1024),
            413,
            "caption_too_large",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(site, tracks, body, status, code) -> None:
    before = httpx.get(f"{site['url']}/api/videos/{site['id']}/captions").json()
    r = add(site, body, "de")
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    after = httpx.get(f"{site['url']}/api/videos/{site['id']}/captions").json()
    assert after == before
    stored = list((site["data"] / "storage" / "videos" / site["id"] / "text").iterdir())
    assert len(stored) == len(before)


def test_only_the_owner_writes_and_private_tracks_need_access(site, tracks) -> None:
    assert add(site, ENGLISH, "de", who=BOB).json()["code"] == "access_denied"
    gone = httpx.delete(
        f"{site['url']}/api/videos/{site['id']}/captions/{tracks['en']['id']}", headers=BOB
    )
    assert gone.status_code == 403
    clip = make_clip(site["data"] / "p.mp4", duration=4, width=320, height=240)
    private = upload(site["url"], clip, ALICE)
    set_visibility(site["url"], private, "private", ALICE)
    track = add(site, ENGLISH, "en", video_id=private).json()
    base = f"{site['url']}/api/videos/{private}/captions"
    assert httpx.get(base, headers=BOB).status_code == 403
    assert httpx.get(f"{base}/{track['id']}.vtt", headers=BOB).status_code == 403
    assert httpx.get(f"{base}/{track['id']}.vtt").status_code in (401, 403)
    assert httpx.get(f"{base}/{track['id']}.vtt", headers=ALICE).status_code == 200
    # a playback token opens the file, and the master carries it to the subtitle rendition
    assert wait_for_state(site["url"], private, ALICE, {"ready", "failed"})["state"] == "ready"
    grant = httpx.post(
        f"{site['url']}/api/videos/{private}/playback-token", json={}, headers=ALICE
    ).json()
    token = grant["token"]
    assert httpx.get(f"{base}/{track['id']}.vtt", params={"token": token}).status_code == 200
    master = httpx.get(grant["playbackUrl"]).text
    media = next(line for line in master.splitlines() if "TYPE=SUBTITLES" in line)
    uri = media.split('URI="')[1].rstrip('"')
    assert uri.startswith(f"subs-{track['id']}.m3u8?token=")
    playlist = httpx.get(f"{site['url']}/stream/{private}/{uri}")
    assert playlist.status_code == 200
    first = next(line for line in playlist.text.splitlines() if line.startswith("segment/"))
    assert "token=" in first
    assert httpx.get(f"{site['url']}/stream/{private}/{first}").status_code == 200
    bare = first.split("?")[0]
    assert httpx.get(f"{site['url']}/stream/{private}/{bare}").status_code == 403


def test_deleting_a_track_takes_it_out_of_the_master(site, tracks) -> None:
    extra = add(site, ENGLISH, "es", name="Español").json()
    manifest = f"{site['url']}/stream/{site['id']}/manifest"
    first = httpx.get(manifest)
    assert 'LANGUAGE="es"' in first.text
    r = httpx.delete(f"{site['url']}/api/videos/{site['id']}/captions/{extra['id']}", headers=ALICE)
    assert r.status_code == 204
    second = httpx.get(manifest)
    assert 'LANGUAGE="es"' not in second.text and 'LANGUAGE="en"' in second.text
    assert second.headers.get("etag") != first.headers.get("etag")
    assert httpx.get(extra["url"]).status_code == 404
    playlist = httpx.get(f"{site['url']}/stream/{site['id']}/subs-{extra['id']}.m3u8")
    assert playlist.status_code == 404


def test_the_cli_adds_lists_and_removes_tracks(site, tracks, tmp_path) -> None:
    from tests.e2e.client.test_cli import client_env, vidhost

    env = client_env(tmp_path, site["url"])
    srt = tmp_path / "it.srt"
    srt.write_bytes(FRENCH_SRT)
    added = vidhost(env, "captions", "add", site["id"], str(srt), "-l", "it", "--json")
    assert added.returncode == 0, added.stderr
    track = json.loads(added.stdout)
    assert (track["language"], track["status"]) == ("it", "ready")
    listed = vidhost(env, "captions", "ls", site["id"], "--json")
    assert track["id"] in [t["id"] for t in json.loads(listed.stdout)]
    table = vidhost(env, "captions", "ls", site["id"])
    assert "captions" in table.stdout and "subtitles" in table.stdout
    bad = tmp_path / "bad.vtt"
    bad.write_bytes(b"WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nx\n")
    refused = vidhost(env, "captions", "add", site["id"], str(bad), "-l", "it")
    assert refused.returncode == 1 and "invalid_caption" in refused.stderr
    removed = vidhost(env, "captions", "rm", site["id"], track["id"])
    assert removed.returncode == 0 and f"deleted {track['id']}" in removed.stdout
    after = json.loads(vidhost(env, "captions", "ls", site["id"], "--json").stdout)
    assert track["id"] not in [t["id"] for t in after]
