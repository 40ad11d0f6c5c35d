"""Signed playback (ADR 0050): signing keys, RS256 playback tokens, tokenized playlists.

One server for the module; alice owns a private video, bob a private video of his own.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import jwt
import pytest

from tests.clips import make_clip
from tests.e2e.helpers import (
    AUTH_ENV,
    auth,
    playlist_uris,
    segment_type,
    upload_ready,
)
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE, BOB = auth("alice"), auth("bob")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("signed")
    server = ServerProcess(data, env={**AUTH_ENV, "VIDHOST_LADDER_HEIGHTS": "[240]"}).start()
    try:
        clip = make_clip(data / "clip.mp4", duration=2)
        ids = upload_ready(server.url, clip, {"alice": (ALICE, "private"), "bob": (BOB, "private")})
        yield {"url": server.url, "ids": ids}
    finally:
        server.stop()


def new_key(base: str, who: dict[str, str]) -> tuple[str, str]:
    r = httpx.post(f"{base}/api/signing-keys", headers=who)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "privateKey", "createdAt"}
    pem = base64.b64decode(body["privateKey"]).decode()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    return str(body["id"]), pem


def sign(pem: str, kid: str | None, claims: dict[str, Any], alg: str = "RS256") -> str:
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims, pem, alg, headers=headers)


def claims(video_id: str, aud: str = "v", ttl: int = 600) -> dict[str, Any]:
    return {"sub": video_id, "aud": aud, "exp": int(time.time()) + ttl}


def code(r: httpx.Response) -> tuple[int, str]:
    if r.headers.get("content-type") != "application/json":
        return r.status_code, ""
    return r.status_code, r.json().get("code", "")


def test_signing_keys_are_shown_once_listed_per_owner_and_deleted(site) -> None:
    base = site["url"]
    kid, _ = new_key(base, ALICE)
    listed = httpx.get(f"{base}/api/signing-keys", headers=ALICE).json()["signingKeys"]
    assert kid in [k["id"] for k in listed]
    assert all(set(k) == {"id", "createdAt"} for k in listed)  # no private part, ever
    one = httpx.get(f"{base}/api/signing-keys/{kid}", headers=ALICE)
    assert one.status_code == 200 and set(one.json()) == {"id", "createdAt"}
    assert code(httpx.get(f"{base}/api/signing-keys/{kid}", headers=BOB)) == (
        404,
        "signing_key_not_found",
    )
    assert kid not in [
        k["id"] for k in httpx.get(f"{base}/api/signing-keys", headers=BOB).json()["signingKeys"]
    ]
    assert httpx.delete(f"{base}/api/signing-keys/{kid}", headers=BOB).status_code == 404
    assert httpx.get(f"{base}/api/signing-keys").status_code == 401
    assert httpx.post(f"{base}/api/signing-keys").status_code == 401
    deleted = httpx.delete(f"{base}/api/signing-keys/{kid}", headers=ALICE)
    assert deleted.status_code == 204 and deleted.content == b""
    assert httpx.get(f"{base}/api/signing-keys/{kid}", headers=ALICE).status_code == 404
    assert httpx.delete(f"{base}/api/signing-keys/{kid}", headers=ALICE).status_code == 404


def test_a_tokenized_manifest_carries_the_token_into_every_variant_and_segment(site) -> None:
    base, vid = site["url"], site["ids"]["alice"]
    kid, pem = new_key(base, ALICE)
    token = sign(pem, kid, claims(vid))
    manifest = f"{base}/stream/{vid}/manifest?token={token}"
    master = httpx.get(manifest)
    assert master.status_code == 200, master.text
    assert master.headers["cache-control"].startswith("private")
    variants = playlist_uris(master.text)
    assert variants and all(uri.endswith(f"?token={token}") for uri in variants)
    head = httpx.head(manifest)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["cache-control"].startswith("private")
    fetched = 0
    for uri in variants:
        variant_url = urljoin(manifest, uri)
        variant = httpx.get(variant_url)
        assert variant.status_code == 200, variant.text
        segments = playlist_uris(variant.text)
        assert segments and all(s.endswith(f"?token={token}") for s in segments)
        for segment in segments:
            r = httpx.get(urljoin(variant_url, segment))
            assert r.status_code == 200
            assert r.headers["content-type"] == segment_type(r.url.path)
            assert r.headers["cache-control"].startswith("private")
            fetched += 1
    assert fetched >= 2
    # Without the token, none of it.
    assert code(httpx.get(urljoin(manifest, variants[0]).split("?")[0])) == (
        403,
        "playback_token_required",
    )


def test_each_audience_opens_its_own_kind_of_bytes(site) -> None:
    base, vid = site["url"], site["ids"]["alice"]
    kid, pem = new_key(base, ALICE)
    api, stream = f"{base}/api/videos/{vid}", f"{base}/stream/{vid}"
    urls = {
        "v": [f"{stream}/manifest", f"{stream}/240p.m3u8"],
        "t": [f"{stream}/poster.jpg", f"{api}/thumbnail.jpg?width=64"],
        "s": [f"{api}/storyboard.vtt", f"{api}/storyboard.jpg"],
        "g": [f"{api}/preview.gif?duration=1&width=64&fps=2"],
    }
    for aud, targets in urls.items():
        token = sign(pem, kid, claims(vid, aud))
        for url in targets:
            sep = "&" if "?" in url else "?"
            assert httpx.get(f"{url}{sep}token={token}").status_code == 200, (aud, url)
        for other, elsewhere in urls.items():
            if other == aud:
                continue
            url = elsewhere[0]
            sep = "&" if "?" in url else "?"
            r = httpx.get(f"{url}{sep}token={token}")
            assert code(r) == (403, "playback_token_wrong_audience"), (aud, url)
    # The storyboard's cues point at the sprite with the same token.
    token = sign(pem, kid, claims(vid, "s"))
    vtt = httpx.get(f"{api}/storyboard.vtt", params={"token": token}).text
    assert f"storyboard.jpg?token={token}#xywh=" in vtt


def test_every_bad_token_is_refused_with_its_own_code(site) -> None:
    base, ids = site["url"], site["ids"]
    vid = ids["alice"]
    kid, pem = new_key(base, ALICE)
    bob_kid, bob_pem = new_key(base, BOB)
    manifest = f"{base}/stream/{vid}/manifest"

    def get(token: str) -> tuple[int, str]:
        return code(httpx.get(manifest, params={"token": token}))

    good = sign(pem, kid, claims(vid))
    assert get(good)[0] == 200
    assert get(sign(pem, kid, claims(vid, ttl=-30))) == (403, "playback_token_expired")
    head, body, signature = good.split(".")
    forged = base64.urlsafe_b64encode(
        jwt.utils.base64url_decode(body).replace(vid.encode(), ids["bob"].encode())
    )
    tampered = f"{head}.{forged.decode().rstrip('=')}.{signature}"
    assert code(httpx.get(f"{base}/stream/{ids['bob']}/manifest", params={"token": tampered})) == (
        403,
        "playback_token_invalid",
    )
    assert get(good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")) == (
        403,
        "playback_token_invalid",
    )
    assert get(sign(pem, kid, claims(ids["bob"]))) == (403, "playback_token_wrong_video")
    assert get(sign(pem, kid, claims(vid, "t"))) == (403, "playback_token_wrong_audience")
    assert get(sign(bob_pem, bob_kid, claims(vid))) == (403, "playback_token_wrong_key")
    no_exp = {"sub": vid, "aud": "v"}
    assert get(sign(pem, kid, no_exp)) == (403, "playback_token_invalid")
    assert get(sign(pem, None, claims(vid))) == (403, "playback_token_invalid")  # no kid
    assert get(sign(pem, "no-such-key", claims(vid))) == (403, "playback_token_invalid")
    hs = jwt.encode(claims(vid), "x" * 32, "HS256", headers={"kid": kid})
    assert get(hs) == (403, "playback_token_invalid")
    assert get("not-a-jwt") == (403, "playback_token_invalid")

    assert httpx.delete(f"{base}/api/signing-keys/{kid}", headers=ALICE).status_code == 204
    assert get(good) == (403, "playback_token_revoked")
    segment = f"{base}/stream/{vid}/segment/240p_00000.m4s"
    assert code(httpx.get(segment, params={"token": good})) == (403, "playback_token_revoked")


def test_owners_get_server_signed_tokens(site) -> None:
    base, ids = site["url"], site["ids"]
    vid = ids["alice"]
    url = f"{base}/api/videos/{vid}/playback-token"
    r = httpx.post(url, headers=ALICE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token", "expiresAt", "playbackUrl"}
    assert body["playbackUrl"] == f"{base}/stream/{vid}/manifest?token={body['token']}"
    header = jwt.get_unverified_header(body["token"])
    assert header["alg"] == "RS256" and header["kid"]
    got = jwt.decode(body["token"], options={"verify_signature": False})
    assert (got["sub"], got["aud"]) == (vid, "v")
    assert 3500 < got["exp"] - time.time() <= 3600
    assert httpx.get(body["playbackUrl"]).status_code == 200

    thumb = httpx.post(url, json={"audience": "t", "ttl": 60}, headers=ALICE).json()
    poster = httpx.get(f"{base}/stream/{vid}/poster.jpg", params={"token": thumb["token"]})
    assert poster.status_code == 200
    assert code(httpx.get(body["playbackUrl"].split("?")[0], params={"token": thumb["token"]})) == (
        403,
        "playback_token_wrong_audience",
    )
    assert code(httpx.post(url, json={"ttl": 8 * 24 * 3600}, headers=ALICE))[0] == 400
    assert code(httpx.post(url, json={"audience": "x"}, headers=ALICE))[0] == 400
    assert code(httpx.post(url, headers=BOB)) == (403, "access_denied")
    assert httpx.post(url).status_code == 401
    assert code(httpx.post(f"{base}/api/videos/nope/playback-token", headers=ALICE)) == (
        404,
        "video_not_found",
    )
