"""Object key rules shared by every storage backend."""

from __future__ import annotations

import re

_SEGMENT = re.compile(r"^[A-Za-z0-9._=-]+$")


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key; raise FileNotFoundError otherwise.

    Keys are ``/``-separated; no part may be empty, ``.`` or ``..`` or contain other
    characters, so no key can escape its backend's root.
    """
    parts = key.split("/")
    for part in parts:
        if part in ("", ".", "..") or not _SEGMENT.match(part):
            raise FileNotFoundError(key)
    return key
