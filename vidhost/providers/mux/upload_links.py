"""The ``url`` of a Mux direct upload: ``/mux/upload/{id}?expires=&max=&sig=``, signed with
the same HMAC signer as local pre-signed uploads (``Container.url_signer``) over the key
``mux-uploads/{id}``; it expires with the upload's ``timeout``. Its PUT is checked as every
signed upload URL's (``vidhost.http.upload_url``)."""

from __future__ import annotations

from urllib.parse import urlencode

from vidhost.app.container import Container
from vidhost.providers.mux.uploads import MuxUpload

PATH = "/mux/upload/"


def upload_key(upload_id: str) -> str:
    """What the URL of upload ``upload_id`` is signed for."""
    return f"mux-uploads/{upload_id}"


def upload_url(container: Container, base: str, upload: MuxUpload) -> str:
    expires = int(upload.deadline().timestamp())
    cap = container.settings.tus_size_limit
    sig = container.url_signer.signature(upload_key(upload.id), expires, cap)
    return f"{base}{PATH}{upload.id}?{urlencode({'expires': expires, 'max': cap, 'sig': sig})}"
