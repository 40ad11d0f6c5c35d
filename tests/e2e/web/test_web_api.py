"""The public API the web app added: title search on ``GET /api/videos``, the one-time
sign-in code of the embedded profile, and ``GET /api/auth/session``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, auth, set_visibility, upload
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE = auth("alice")
BOB = auth("bob")
LINK = re.compile(r"Sign in to the vidhost web app[^:]*: (\S+)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("webapi"), env=AUTH_ENV).start()
    try:
        yield proc
    finally:
        proc.stop()


def _code(server: ServerProcess) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = LINK.search(server.log_path.read_text())
        if found:
            return found.group(1).split("#code=", 1)[1]
        time.sleep(0.1)
    raise AssertionError("no sign-in link printed")


def test_search_by_title_ignores_case_and_treats_wildcards_literally(
    server: ServerProcess, tmp_path
) -> None:
    clip = make_clip(tmp_path / "c.mp4", duration=1)
    titles = {"Beach Day": None, "beach night": None, "100% mountain": None, "10_0 lakes": None}
    for title in titles:
        titles[title] = upload(server.url, clip, ALICE)
        r = httpx.put(
            f"{server.url}/api/videos/{titles[title]}/metadata",
            json={"title": title},
            headers=ALICE,
        )
        assert r.status_code == 200, r.text
    bobs = upload(server.url, clip, BOB)
    set_visibility(server.url, bobs, "public", BOB)  # title "t"; bob's, never alice's

    def found(**params: str) -> set[str]:
        r = httpx.get(f"{server.url}/api/videos", params=params, headers=ALICE)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == len(body["videos"])
        return {v["title"] for v in body["videos"]}

    assert found(q="BEACH") == {"Beach Day", "beach night"}
    assert found(q="100%") == {"100% mountain"}
    assert found(q="0_0") == {"10_0 lakes"}
    assert found(q="%") == {"100% mountain"}
    assert found(q="t") == {"beach night", "100% mountain"}  # not bob's "t"
    assert found(q="beach", state="failed") == set()
    assert found(q="") == set(titles)
    long = httpx.get(f"{server.url}/api/videos", params={"q": "x" * 201}, headers=ALICE)
    assert long.status_code == 400 and long.json()["code"] == "invalid_request"


def test_untitled_videos_are_found_by_filename(server: ServerProcess, tmp_path) -> None:
    vid = upload(server.url, make_clip(tmp_path / "Harbour-Sunset.mp4", duration=1), ALICE)
    r = httpx.get(f"{server.url}/api/videos", params={"q": "harbour"}, headers=ALICE)
    assert [v["id"] for v in r.json()["videos"]] == [vid]


def test_the_search_finds_words_of_a_videos_text_tracks(server: ServerProcess, tmp_path) -> None:
    """Issue 22, transcript search: ``q`` also matches the words of a ready text track."""
    vid = upload(server.url, make_clip(tmp_path / "Quiet.mp4", duration=1), ALICE)
    words = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nThe <i>cormorant</i> dives\n"
    r = httpx.post(
        f"{server.url}/api/videos/{vid}/captions",
        files={"file": ("c.vtt", words, "text/vtt")},
        data={"language": "en"},
        headers=ALICE,
    )
    assert r.status_code == 201, r.text

    def found(q: str, who: dict[str, str] = ALICE) -> list[str]:
        r = httpx.get(f"{server.url}/api/videos", params={"q": q}, headers=who)
        assert r.status_code == 200, r.text
        return [v["id"] for v in r.json()["videos"]]

    assert found("CORMORANT dives") == [vid]
    assert found("i>cormorant") == []  # the words, not the markup
    assert found("cormorant", BOB) == []  # bob's library
    gone = httpx.delete(f"{server.url}/api/videos/{vid}/captions/{r.json()['id']}", headers=ALICE)
    assert gone.status_code in (200, 204), gone.text
    assert found("cormorant") == []


def test_sign_in_code_gives_a_token_once(server: ServerProcess) -> None:
    code = _code(server)
    bad = httpx.post(f"{server.url}/api/auth/sign-in", json={"code": code + "x"})
    assert bad.status_code == 401 and bad.json()["code"] == "sign_in_code_invalid"
    empty = httpx.post(f"{server.url}/api/auth/sign-in", json={})
    assert empty.status_code == 400
    first = httpx.post(f"{server.url}/api/auth/sign-in", json={"code": code})
    assert first.status_code == 200, first.text
    token = first.json()["token"]
    assert first.json()["user"] == "anonymous"
    me = httpx.get(
        f"{server.url}/api/auth/session", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert me == {"user": "anonymous", "auth": "jwt"}
    again = httpx.post(f"{server.url}/api/auth/sign-in", json={"code": code})
    assert again.status_code == 401 and again.json()["code"] == "sign_in_code_invalid"
    assert code not in server.log_path.read_text().split(code, 1)[1]  # printed once, never logged


def test_session_says_who_is_calling(server: ServerProcess) -> None:
    anonymous = httpx.get(f"{server.url}/api/auth/session")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"user": None, "auth": "jwt"}
    assert httpx.get(f"{server.url}/api/auth/session", headers=ALICE).json()["user"] == "alice"
    bad = httpx.get(f"{server.url}/api/auth/session", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_token"


def test_no_sign_in_link_without_tokens(tmp_path) -> None:
    proc = ServerProcess(tmp_path / "none", env={"VIDHOST_AUTH": "none"}).start()
    try:
        assert httpx.get(f"{proc.url}/api/auth/session").json() == {
            "user": "anonymous",
            "auth": "none",
        }
        assert "Sign in to the vidhost web app" not in proc.log_path.read_text()
        r = httpx.post(f"{proc.url}/api/auth/sign-in", json={"code": "anything"})
        assert r.status_code == 401 and r.json()["code"] == "sign_in_code_invalid"
    finally:
        proc.stop()
