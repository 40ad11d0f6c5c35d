"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.scaled_out import Cluster, scaled_out_cluster
from tests.s3 import SeaweedS3


@pytest.fixture(scope="session")
def scaled_out(seaweed: SeaweedS3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One scaled-out deployment for the whole session (tests/e2e/scaled_out.py): every
    scaled-out test shares it; a test that kills a worker calls ``heal()`` after."""
    with scaled_out_cluster(seaweed, tmp_path_factory.mktemp("scaled-out")) as cluster:
        yield cluster
