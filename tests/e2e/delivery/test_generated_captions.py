"""Generated captions on vidhost's API (issue 22 part 2, ADR 0069): speech spoken by espeak-ng,
recognized offline by the bundled Whisper base model in the worker, kept as a generated text
track. One server for the module (each recognizer run loads the model: the tests are few)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.e2e.client.test_cli import client_env, vidhost
from tests.e2e.helpers import AUTH_ENV, auth, wait_for_state
from tests.realtime import recv_json, ws_url
from tests.server import ServerProcess
from tests.speech import SENTENCES, needs_espeak, silent_clip, speech_clip, words_of

pytestmark = [
    pytest.mark.e2e,
    needs_espeak,
]

get = functools.partial(httpx.get, timeout=60)
post = functools.partial(httpx.post, timeout=120)

ALICE, BOB = auth("alice"), auth("bob")
SPOKEN = SENTENCES[:4]


def recognized_share(vtt: str, sentences: tuple[str, ...] | list[str]) -> float:
    """The share of the spoken words found in the WebVTT's cue text."""
    heard = set(words_of(" ".join(line for line in vtt.splitlines() if "-->" not in line)))
    spoken = words_of(" ".join(sentences))
    return sum(w in heard for w in spoken) / len(spoken)


def upload(base: str, path: Path, headers: dict[str, str], **fields: str) -> str:
    """``POST /upload`` with a patient timeout (the recognizer may be busy on both cores)."""
    with path.open("rb") as fh:
        r = post(
            f"{base}/upload",
            files={"file": (path.name, fh, "video/mp4")},
            data=fields,
            headers=headers,
            timeout=120,
        )
    assert r.status_code == 201, r.text
    return str(r.json()["videoId"])


def wait_track(base: str, video_id: str, track_id: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    track: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = get(f"{base}/api/videos/{video_id}/captions/{track_id}", headers=ALICE)
        assert r.status_code == 200, r.text
        track = r.json()
        if track["status"] != "preparing":
            return track
        time.sleep(0.5)
    raise AssertionError(f"track still preparing: {track}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("captions-generate")
    env = {**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[144]"}
    server = ServerProcess(data, env=env).start()
    try:
        yield {"url": server.url, "data": data, "server": server}
    finally:
        server.stop()


def test_speech_uploaded_with_the_option_becomes_a_generated_track(site: dict[str, Any]) -> None:
    base = site["url"]
    clip = speech_clip(site["data"] / "speech.mp4", SPOKEN)
    video_id = upload(base, clip, ALICE, generateCaptions="en")
    # the track is there from the upload on, preparing; ready never waits for it
    status = wait_for_state(base, video_id, ALICE, {"ready", "failed"})
    assert status["state"] == "ready", status
    (track,) = get(f"{base}/api/videos/{video_id}", headers=ALICE).json()["captions"]
    assert track["generated"] is True and track["source"] == "generated"
    assert track["language"] == "en"
    done = wait_track(base, video_id, track["id"])
    assert done["status"] == "ready", done
    assert done["detectedLanguage"] is None  # heard English, as asked
    vtt = get(done["url"], headers=ALICE).text
    assert vtt.startswith("WEBVTT")
    share = recognized_share(vtt, SPOKEN)
    assert share >= 0.7, (share, vtt)
    # cues fit for reading: at most 2 lines of 42 characters, shown 1 to 7 s
    for block in vtt.split("\n\n")[1:]:
        lines = [line for line in block.strip().splitlines() if line]
        if not lines:
            continue
        start, end = (_seconds(t) for t in lines[0].split(" --> "))
        assert 1.0 - 1e-3 <= end - start <= 7.0 + 1e-3, block
        assert 1 <= len(lines[1:]) <= 2 and all(len(x) <= 42 for x in lines[1:]), block
    # the transcript: plain text
    text = get(f"{base}/api/videos/{video_id}/captions/{done['id']}/transcript")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert recognized_share(text.text, SPOKEN) >= 0.7
    # the master playlist names it; asked again, the same track (not run twice)
    master = get(f"{base}/stream/{video_id}/manifest", headers=ALICE).text
    assert "TYPE=SUBTITLES" in master and 'LANGUAGE="en"' in master
    again = post(
        f"{base}/api/videos/{video_id}/captions/generate", json={"language": "en"}, headers=ALICE
    )
    assert again.status_code == 202 and again.json()["id"] == done["id"]
    site["speech"] = video_id


def test_auto_detects_the_language_and_another_user_cannot_generate(site: dict[str, Any]) -> None:
    base = site["url"]
    video_id = site.get("speech") or upload(
        base, speech_clip(site["data"] / "speech2.mp4", SPOKEN), ALICE
    )
    wait_for_state(base, video_id, ALICE, {"ready"})
    url = f"{base}/api/videos/{video_id}/captions/generate"
    assert post(url, json={"language": "en"}, headers=BOB).status_code in (403, 404)
    bad = post(url, json={"language": "tlh"}, headers=ALICE)
    assert (bad.status_code, bad.json()["code"]) == (400, "unsupported_language")
    r, events = asyncio.run(_generate_watching(site, url, {"language": "auto"}))
    assert r.status_code == 202, r.text
    # the task's progress reached the owner's events socket, like any task's
    progress = [m for m in events if m["type"] == "progress" and m["kind"] == "captions"]
    assert progress and progress[-1]["status"] == "completed", events
    assert {m["videoId"] for m in progress} == {video_id}
    assert r.json()["language"] == "und" and r.json()["status"] == "preparing"
    done = wait_track(base, video_id, r.json()["id"])
    assert done["status"] == "ready", done
    assert done["language"] == "en" and done["detectedLanguage"] == "en"
    # a second auto request answers the finished track: nothing runs again
    assert post(url, json={"language": "auto"}, headers=ALICE).json()["id"] == done["id"]


def test_silence_and_no_audio_fail_with_codes(site: dict[str, Any]) -> None:
    base = site["url"]
    data: Path = site["data"]
    mute = upload(base, silent_clip(data / "mute.mp4", audio=False), ALICE)
    quiet = upload(base, silent_clip(data / "quiet.mp4"), ALICE)
    for video_id in (mute, quiet):
        assert wait_for_state(base, video_id, ALICE, {"ready", "failed"})["state"] == "ready"
    r = post(f"{base}/api/videos/{mute}/captions/generate", json={"language": "en"}, headers=ALICE)
    assert (r.status_code, r.json()["code"]) == (400, "no_audio")
    r = post(f"{base}/api/videos/{quiet}/captions/generate", json={"language": "en"}, headers=ALICE)
    assert r.status_code == 202, r.text
    track = wait_track(base, quiet, r.json()["id"])
    assert (track["status"], track["errorCode"]) == ("errored", "no_speech"), track
    status = get(f"{base}/api/videos/{quiet}/status", headers=ALICE).json()
    assert status["state"] == "ready"  # a failed generation leaves the video as it was
    site["quiet"] = quiet


def test_the_cli_generates_and_saves_the_webvtt(site: dict[str, Any], tmp_path: Path) -> None:
    base = site["url"]
    video_id = site.get("speech") or upload(
        base, speech_clip(site["data"] / "speech3.mp4", SPOKEN), ALICE
    )
    wait_for_state(base, video_id, ALICE, {"ready"})
    env = client_env(tmp_path, base)
    out = tmp_path / "en.vtt"
    r = vidhost(env, "captions", "generate", video_id, "--language", "en", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[1:3] == ["en", "ready"]
    assert recognized_share(out.read_text(), SPOKEN) >= 0.7
    # silence fails with its code (after the silence test: its errored track runs again)
    quiet = site.get("quiet") or upload(base, silent_clip(site["data"] / "quiet2.mp4"), ALICE)
    wait_for_state(base, quiet, ALICE, {"ready"})
    r = vidhost(env, "captions", "generate", quiet, "--json", timeout=400)
    assert r.returncode == 1 and "no_speech" in r.stderr, (r.stdout, r.stderr)


async def _generate_watching(
    site: dict[str, Any], url: str, body: dict[str, str]
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """POST ``body`` to ``url`` with the owner's ``/api/events`` socket open; the answer and
    the socket's messages until the captions task ended."""
    socket = ws_url(site["server"], "/api/events")
    events: list[dict[str, Any]] = []
    async with websockets.connect(socket, additional_headers=ALICE) as ws:
        assert (await recv_json(ws))["status"] == "connected"
        r = await asyncio.to_thread(post, url, json=body, headers=ALICE)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            message = await recv_json(ws, 300)
            events.append(message)
            if message.get("kind") == "captions" and message.get("status") in (
                "completed",
                "failed",
            ):
                break
    return r, events


def _seconds(text: str) -> float:
    h, m, s = text.strip().split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)
