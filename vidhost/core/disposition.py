"""``Content-Disposition: attachment`` for a download name (RFC 6266), used both by vidhost's
own responses and inside S3 pre-signed GETs (``response-content-disposition``)."""

from __future__ import annotations

import re
from urllib.parse import quote

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]")
MAX_NAME = 200


def attachment(filename: str) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''utf8``: the quoted ASCII fallback
    keeps letters, digits, ``._ -`` (others become ``_``); the full name is percent-encoded."""
    name = filename.replace("/", "_").replace("\\", "_")[:MAX_NAME] or "download"
    fallback = _UNSAFE.sub("_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
