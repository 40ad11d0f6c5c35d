"""Cloudflare Stream captions (issue 22, ADR 0068) with the official ``cloudflare`` SDK, only
its base URL changed: ``stream.captions.language.update`` (one track per language: a second
upload replaces it), ``captions.get``, ``language.get``, ``language.vtt.get``,
``language.delete``; the track in the video's HLS master; a bad file refused with its code
and nothing stored; another account kept out."""

from __future__ import annotations

import httpx
import pytest
from cloudflare import APIStatusError, NotFoundError

from tests.e2e.providers.cloudflare.conftest import form_upload, sdk, wait_ready

pytestmark = pytest.mark.e2e

FIRST = "WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nErste Fassung\n"
SECOND = "1\n00:00:00,200 --> 00:00:01,800\nZweite <b>Fassung</b>\n"


def test_captions_through_the_sdk(server, clip) -> None:
    cf = sdk(server)
    upload = cf.stream.direct_upload.create(account_id="alice", max_duration_seconds=60)
    assert upload is not None and upload.uid and upload.upload_url
    assert form_upload(upload.upload_url, clip).status_code == 200
    uid = upload.uid
    assert wait_ready(cf, "alice", uid).ready_to_stream
    language = cf.stream.captions.language

    first = language.update("de", account_id="alice", identifier=uid, file=FIRST)
    assert first is not None
    assert (first.language, first.label, first.status, first.generated) == (
        "de",
        "Deutsch",
        "ready",
        False,
    )
    language.update("de", account_id="alice", identifier=uid, file=SECOND)  # replaces it
    english = language.update("en", account_id="alice", identifier=uid, file=FIRST)
    assert english is not None and english.label == "English"
    listed = list(cf.stream.captions.get(identifier=uid, account_id="alice"))
    assert sorted(c.language for c in listed) == ["de", "en"]
    one = language.get("de", account_id="alice", identifier=uid)
    assert one is not None and one.status == "ready"
    vtt = language.vtt.get("de", account_id="alice", identifier=uid)
    assert "Zweite <b>Fassung</b>" in vtt and "Erste" not in vtt

    master = httpx.get(f"{server.url}/{uid}/manifest/video.m3u8").text
    subs = [line for line in master.splitlines() if "TYPE=SUBTITLES" in line]
    assert sorted('LANGUAGE="de"' in s for s in subs) == [False, True], master
    uri = subs[0].split('URI="')[1].rstrip('"')
    playlist = httpx.get(f"{server.url}/{uid}/manifest/{uri}")
    assert playlist.status_code == 200 and "#EXTINF" in playlist.text

    with pytest.raises(APIStatusError) as refused:
        language.update("fr", account_id="alice", identifier=uid, file="not captions at all")
    assert refused.value.status_code == 400
    assert refused.value.body["errors"][0]["vidhost_code"] == "unsupported_caption_format"
    assert "fr" not in [
        c.language for c in cf.stream.captions.get(identifier=uid, account_id="alice")
    ]

    bob = sdk(server, "bob")
    with pytest.raises(NotFoundError):
        bob.stream.captions.language.update("fr", account_id="bob", identifier=uid, file=FIRST)
    with pytest.raises(NotFoundError):
        bob.stream.captions.language.delete("de", account_id="bob", identifier=uid)

    assert language.delete("de", account_id="alice", identifier=uid) == ""
    with pytest.raises(NotFoundError):
        language.get("de", account_id="alice", identifier=uid)
    master = httpx.get(f"{server.url}/{uid}/manifest/video.m3u8").text
    assert 'LANGUAGE="de"' not in master and 'LANGUAGE="en"' in master
