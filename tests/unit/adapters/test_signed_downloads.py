"""Local storage's signed GET (ADR 0093): what it signs, and that it expires."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from vidhost.adapters.storage.signed_urls import (
    DOWNLOAD_PATH,
    LocalSignedDownloads,
    UrlSigner,
    derive_secret,
)
from vidhost.core.disposition import attachment
from vidhost.core.errors import Forbidden

SIGNER = UrlSigner(derive_secret("x" * 40))


def parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    assert split.path.startswith(DOWNLOAD_PATH)
    query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
    return unquote(split.path[len(DOWNLOAD_PATH) :]), query


def check(key: str, q: dict[str, str], now: float) -> None:
    SIGNER.verify_get(key, q["expires"], q["name"], q["sig"], now=now)


def test_a_signed_get_opens_its_key_with_its_name_until_it_expires() -> None:
    url = LocalSignedDownloads(SIGNER).presign_get(
        "videos/v1/source", expires_in=60, content_disposition=attachment("my clip.mov")
    )
    key, q = parts(url)
    assert key == "videos/v1/source" and q["name"] == attachment("my clip.mov")
    check(key, q, now=time.time())
    with pytest.raises(Forbidden) as late:
        check(key, q, now=time.time() + 61)
    assert late.value.code == "url_expired"


def test_signed_with_a_past_clock_it_is_already_expired() -> None:
    url = LocalSignedDownloads(SIGNER).presign_get(
        "videos/v1/source", expires_in=86400, now=time.time() - 86401
    )
    key, q = parts(url)
    with pytest.raises(Forbidden) as late:
        check(key, q, now=time.time())
    assert late.value.code == "url_expired"


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "other.mov"), ("expires", "99999999999"), ("sig", "0" * 64)],
)
def test_changing_the_name_expiry_or_signature_breaks_it(field: str, value: str) -> None:
    key, q = parts(
        LocalSignedDownloads(SIGNER).presign_get(
            "videos/v1/source", expires_in=60, content_disposition=attachment("a")
        )
    )
    q[field] = value
    with pytest.raises(Forbidden) as bad:
        check(key, q, now=time.time())
    assert bad.value.code == "invalid_signature"


def test_another_key_or_an_upload_signature_opens_nothing() -> None:
    key, q = parts(LocalSignedDownloads(SIGNER).presign_get("videos/v1/source", expires_in=60))
    with pytest.raises(Forbidden):
        check("videos/v2/source", q, now=time.time())
    # a PUT URL's signature (method word PUT, its size cap) is no GET signature
    expires = int(time.time()) + 60
    put_sig = SIGNER.signature(key, expires, 0)
    with pytest.raises(Forbidden):
        SIGNER.verify_get(key, str(expires), "", put_sig, now=time.time())


def test_the_download_name_is_quoted_safely() -> None:
    header = attachment('a"b/ü\r\n.mov')
    assert header.startswith('attachment; filename="a_b_')
    assert "\r" not in header and "\n" not in header
    assert "filename*=UTF-8''a%22b_%C3%BC%0D%0A.mov" in header
