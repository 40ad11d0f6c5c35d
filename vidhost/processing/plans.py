"""Segment plans read by the API, kept a while per process (ADR 0061).

A ready video's plan does not change (it is cut once per source, before the video is ready),
so the on-demand segment path keeps each plan ``ttl`` seconds instead of reading
``plan.json`` from storage for every segment request. Workers read the stored plan per task
on purpose: a re-plan (a transcode from another source) must never be missed there.
"""

from __future__ import annotations

import threading
import time

from vidhost.core.ports import Storage
from vidhost.core.segments import SegmentPlan
from vidhost.media.errors import MediaError
from vidhost.processing.transcode import load_plan


class PlanCache:
    def __init__(self, storage: Storage, *, ttl: float = 60.0, size: int = 256) -> None:
        self.storage = storage
        self.ttl = ttl
        self.size = size
        self._plans: dict[str, tuple[float, SegmentPlan]] = {}
        self._lock = threading.Lock()

    def get(self, video_id: str) -> SegmentPlan | None:
        """The video's plan (kept ``ttl`` s); None if it has none."""
        now = time.monotonic()
        with self._lock:
            kept = self._plans.get(video_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        try:
            plan = load_plan(self.storage, video_id)
        except MediaError:
            return None
        with self._lock:
            if len(self._plans) >= self.size:
                self._plans.clear()
            self._plans[video_id] = (now + self.ttl, plan)
        return plan
