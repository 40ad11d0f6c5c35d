"""The periodic run of every sweeper the features added (``vidhost cleanup`` runs the same
sweepers once), and the sweeper of videos whose deletion time has come (ADR 0094)."""

from __future__ import annotations

from collections.abc import Sequence

from vidhost.app.container import Container
from vidhost.app.feature import Background, Feature
from vidhost.processing.scheduled_deletion import scheduled_deletion_sweeper
from vidhost.processing.sweepers import CleanupLoop


def install(c: Container) -> None:
    c.sweepers.append(scheduled_deletion_sweeper(c.videos))


def background(c: Container) -> Sequence[Background]:
    return [CleanupLoop(c.sweepers, interval=c.settings.cleanup_interval)]


FEATURE = Feature("cleanup", install=install, background=background)
