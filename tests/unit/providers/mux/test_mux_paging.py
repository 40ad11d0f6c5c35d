"""Mux's keyset cursor (``paging.py``): every item once, in order, across pages, even when
items share a creation time or new ones arrive between pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vidhost.core.errors import InvalidInput
from vidhost.core.models import Video
from vidhost.providers.mux import paging

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def lister(items: list[Video]) -> paging.Lister:
    def run(before: datetime | None, limit: int, offset: int) -> list[Video]:
        found = [v for v in items if before is None or v.created_at < before]
        found.sort(key=lambda v: (-v.created_at.timestamp(), v.id))
        return found[offset : offset + limit]

    return run


def video(i: int, at: datetime) -> Video:
    return Video(id=f"v{i:02d}", owner="alice", created_at=at)


def walk(items: list[Video], limit: int, grow: list[Video] | None = None) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = paging.page(lister(items), limit=limit, page_number=1, cursor=cursor)
        seen += [v.id for v in page]
        if grow:
            items.append(grow.pop())  # a new asset between two pages
        if cursor is None:
            return seen


def test_every_item_once_with_ties_and_arrivals() -> None:
    items = [video(i, T0 + timedelta(seconds=i // 3)) for i in range(10)]  # ties of three
    expected = [v.id for v in sorted(items, key=lambda v: (-v.created_at.timestamp(), v.id))]
    newer = [video(90 + i, T0 + timedelta(days=1, seconds=i)) for i in range(3)]
    assert walk(list(items), 2) == expected
    assert walk(list(items), 3, grow=newer) == expected  # new ones come first, not in between


def test_a_bad_cursor_is_refused() -> None:
    with pytest.raises(InvalidInput) as bad:
        paging.page(lister([]), limit=2, page_number=1, cursor="%%%")
    assert bad.value.code == "invalid_cursor"
