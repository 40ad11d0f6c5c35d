"""The periodic run of every sweeper the features added (``vidhost cleanup`` runs the same
sweepers once)."""

from __future__ import annotations

from collections.abc import Sequence

from vidhost.features.feature import Background, Feature
from vidhost.jobs.cleanup import CleanupLoop
from vidhost.wiring import Container


def background(c: Container) -> Sequence[Background]:
    return [CleanupLoop(c.sweepers, interval=c.settings.cleanup_interval)]


FEATURE = Feature("cleanup", background=background)
