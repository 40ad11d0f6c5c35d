"""The ``url`` of a Mux direct upload: ``/mux/upload/{id}?expires=&max=&sig=``, signed with
the same HMAC signer as local pre-signed uploads (``storage/signed_urls.py``) over the key
``mux-uploads/{id}``; it expires with the upload's ``timeout``."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from vidhost.adapters.storage.signed_urls import UrlSigner
from vidhost.app.container import Container
from vidhost.providers.mux.uploads import MuxUpload

PATH = "/mux/upload/"


def _key(upload_id: str) -> str:
    return f"mux-uploads/{upload_id}"


def signer(container: Container) -> UrlSigner:
    return container.url_signer


def upload_url(container: Container, base: str, upload: MuxUpload) -> str:
    expires = int(upload.deadline().timestamp())
    cap = container.settings.tus_size_limit
    sig = signer(container).signature(_key(upload.id), expires, cap)
    return f"{base}{PATH}{upload.id}?{urlencode({'expires': expires, 'max': cap, 'sig': sig})}"


def verify(container: Container, upload_id: str, expires: str, cap: str, sig: str) -> int:
    """The size cap the URL allows; ``Forbidden`` (``invalid_signature``/``url_expired``)."""
    return signer(container).verify(_key(upload_id), expires, cap, sig, now=time.time())
