from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.s3 import SeaweedS3
from tests.server import ServerProcess

# vidhost's per-user default data dir ($XDG_DATA_HOME/vidhost) is never the real one in tests:
# a test that leaves the data dir to the default gets a fresh, throw-away one.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="vidhost-test-xdg-")


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[object]:
    started: list[ServerProcess] = []

    def start(env: dict[str, str] | None = None, data_dir: Path | None = None) -> ServerProcess:
        server = ServerProcess(data_dir or tmp_path / "data", env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(server_factory) -> ServerProcess:
    return server_factory()


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """One real SeaweedFS S3 server for the whole session (signatures enforced)."""
    store = SeaweedS3(tmp_path_factory.mktemp("seaweedfs")).start()
    yield store
    store.stop()
