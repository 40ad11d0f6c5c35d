"""The API's plan cache (ADR 0061): read once from storage, kept ``ttl`` seconds."""

from __future__ import annotations

from pathlib import Path

from vidhost.adapters.storage.local import LocalStorage
from vidhost.core import layout
from vidhost.core.segments import PlannedRendition, make_plan
from vidhost.processing.plans import PlanCache

RUNG = PlannedRendition("240p", 426, 240, 500_000, 400_000, 428_000, 600_000, "avc1.64000d")


def test_a_plan_is_read_once_and_kept_for_its_ttl(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "store")
    plan = make_plan(
        source_key="videos/v1/source",
        duration=10.0,
        fps=25,
        segment_seconds=4.0,
        chunk_seconds=8.0,
        first_chunk_seconds=4.0,
        renditions=(RUNG,),
        audio_bitrate=None,
    )
    kept = PlanCache(storage, ttl=60.0)
    assert kept.get("v1") is None  # no plan yet: not kept either
    storage.put_bytes(layout.plan_key("v1"), plan.to_json())
    assert kept.get("v1") == plan
    storage.delete(layout.plan_key("v1"))
    assert kept.get("v1") == plan  # within its ttl: not read again
    assert PlanCache(storage, ttl=0.0).get("v1") is None  # expired: read again, gone
