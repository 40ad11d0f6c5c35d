"""The web app's browser tests: one ``vidhost serve`` per test module (embedded profile, JWT
auth), its printed sign-in link, Debian's Chromium through Playwright, and the screenshot
folder."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.e2e.helpers import AUTH_ENV
from tests.e2e.web.browsing import MAX_SIZE
from tests.server import ServerProcess

LINK = re.compile(r"Sign in to the vidhost web app[^:]*: (\S+)")
ARTEFACTS = Path(__file__).resolve().parents[3] / "build" / "test-artefacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        **AUTH_ENV,
        "VIDHOST_TUS_MAX_SIZE": str(MAX_SIZE),
        "VIDHOST_WEBHOOK_ALLOW_PRIVATE": "true",  # the test endpoint is on loopback
        "VIDHOST_LADDER_HEIGHTS": "[360, 240]",  # two renditions of a 640x360 clip
    }
    proc = ServerProcess(tmp_path_factory.mktemp("webapp"), env=env).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def sign_in_link(server: ServerProcess) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = LINK.search(server.log_path.read_text())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no sign-in link printed:\n{server.log()}")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--autoplay-policy=no-user-gesture-required", "--mute-audio"],
    )
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    """Screenshots of every page, kept as test artefacts: ``$VIDHOST_TEST_ARTEFACTS`` or
    ``build/test-artefacts`` (git-ignored), under ``screenshots/``, replaced on each run."""
    path = Path(os.environ.get("VIDHOST_TEST_ARTEFACTS") or ARTEFACTS) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
