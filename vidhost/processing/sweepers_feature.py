"""The periodic run of every sweeper the features added (``vidhost cleanup`` runs the same
sweepers once)."""

from __future__ import annotations

from collections.abc import Sequence

from vidhost.app.container import Container
from vidhost.app.feature import Background, Feature
from vidhost.processing.sweepers import CleanupLoop


def background(c: Container) -> Sequence[Background]:
    return [CleanupLoop(c.sweepers, interval=c.settings.cleanup_interval)]


FEATURE = Feature("cleanup", background=background)
