"""Mux's ``cursor`` / ``next_cursor`` paging of lists (what mux-node's ``CursorPage``
follows): a cursor names the last item handed out (its creation time and id, in the order
of the list: newest first, then by id), so creating or deleting assets between pages neither
repeats nor skips any. Opaque to clients: base64url of ``[created_at, id]``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from vidhost.core.errors import InvalidInput
from vidhost.core.models import Video

TIES = 64
"""Items created in the same microsecond as a page's last one that a next page can skip."""

Lister = Callable[[datetime | None, int, int], list[Video]]
"""``(created_before, limit, offset) -> videos``, newest first then by id."""


def encode(video: Video) -> str:
    raw = json.dumps([video.created_at.isoformat(), video.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, video_id = json.loads(raw)
        return datetime.fromisoformat(at), str(video_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput(
            "cursor is not one this server handed out", code="invalid_cursor"
        ) from None


def page(
    lister: Lister, *, limit: int, page_number: int, cursor: str | None
) -> tuple[list[Video], str | None]:
    """One page and the cursor of the next (None on the last page)."""
    if cursor is None:
        found = lister(None, limit + 1, (page_number - 1) * limit)
    else:
        at, last_id = decode(cursor)
        found = lister(at + timedelta(microseconds=1), limit + 1 + TIES, 0)
        found = [v for v in found if not (v.created_at == at and v.id <= last_id)]
    items = found[:limit]
    more = len(found) > limit
    return items, encode(items[-1]) if more and items else None
