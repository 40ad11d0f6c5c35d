"""The API docs in Chromium (issue 24): ``/docs`` opens with the endpoints, the error
catalogue has its own page (``/docs/errors``, linked from the docs), and neither scrolls
sideways on a phone (390 px)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.helpers import AUTH_ENV
from tests.server import ServerProcess
from vidhost.core.error_codes import CATALOGUE

pytestmark = pytest.mark.e2e

WIDER_THAN_VIEWPORT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map(e => e.tagName + '.' + e.className).slice(0, 5)"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {**AUTH_ENV, "VIDHOST_EMBEDDED_WORKER": "false"}
    proc = ServerProcess(tmp_path_factory.mktemp("docs"), env=env).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            yield b
        finally:
            b.close()


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(WIDER_THAN_VIEWPORT) == []


@pytest.mark.parametrize("width", [390, 1280])
def test_docs_open_with_the_endpoints_and_fit_the_screen(
    server: ServerProcess, browser: Browser, width: int, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    page.goto(server.url + "/docs")
    first = page.locator(".swagger-ui .opblock").first
    first.wait_for(timeout=120_000)
    assert first.bounding_box()["y"] < 844  # type: ignore[index]  # the first screen
    assert (
        page.locator(".swagger-ui .information-container code", has_text="file_too_large").count()
        == 0
    )
    first.locator(".opblock-summary").click()  # an operation open: its tables too
    page.locator(".swagger-ui .responses-table").first.wait_for()
    fits(page, width)
    link = page.locator(".swagger-ui .information-container a", has_text="/docs/errors")
    assert link.get_attribute("href") == "/docs/errors"  # Swagger UI opens it in a new tab
    page.goto(server.url + "/docs/errors")
    page.get_by_role("heading", name="Error codes").wait_for()
    rows = page.locator("tbody tr")
    assert rows.count() == len(CATALOGUE)
    assert rows.first.locator("code").inner_text() == next(iter(CATALOGUE))
    assert page.locator("#file_too_large td").nth(1).inner_text() == "413"
    fits(page, width)
    context.close()
