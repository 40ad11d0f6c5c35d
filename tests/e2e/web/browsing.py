"""What the web app's browser tests share: a page with a watch on console errors and bad
assets, a page signed in as the embedded profile's user, and axe-core's serious findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.helpers import AUTH_ENV, auth

AXE = Path(__file__).resolve().parents[2] / "js" / "node_modules" / "axe-core" / "axe.min.js"
USER = auth("anonymous")  # the embedded profile's user: whom the sign-in link signs in
MAX_SIZE = 16 * 1024 * 1024  # the test server's tus limit (conftest)


class Watch:
    """Console errors, uncaught exceptions and image/script answers other than 200."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.bad: list[str] = []
        self.assets: list[tuple[str, int]] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("response", self._response)

    def _response(self, response: Any) -> None:
        if response.request.resource_type in ("image", "script"):
            self.assets.append((response.url, response.status))
            if response.status != 200:
                self.bad.append(f"{response.status} {response.url}")

    def check(self, expected: str | None = None) -> None:
        """No errors; ``expected``: a substring of errors the test itself caused."""
        errors = [e for e in self.errors if expected is None or expected not in e]
        assert errors == [], errors
        assert self.bad == [], self.bad


def new_page(browser: Browser, **options: Any) -> tuple[BrowserContext, Page, Watch]:
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page, Watch(page)


def signed_in(browser: Browser, **options: Any) -> tuple[BrowserContext, Page, Watch]:
    context, page, watch = new_page(browser, **options)
    from vidhost.http.auth.tokens import issue_token

    token = issue_token(AUTH_ENV["VIDHOST_JWT_SECRET"], "anonymous")
    context.add_init_script(f"localStorage.setItem('vidhost.token', {token!r})")
    return context, page, watch


def axe(page: Page) -> list[dict]:
    """Serious and critical axe-core violations of the page as it is now."""
    page.evaluate(AXE.read_text())  # CDP evaluation: the page's CSP does not apply
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
