"""The pages: one HTML shell per page kind, the static files, and the offline API docs.

Every app page is the same small shell (``app.html``) whose module (``app.js``) mounts the
page named by the path; ``/embed/{id}`` is its own minimal shell. Nothing here reads the
database: data comes from the public API, called by the browser.
"""

from __future__ import annotations

import hashlib
from functools import cache
from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from vidhost.core.error_codes import CATALOGUE
from vidhost.http.openapi import ERRORS_PAGE

STATIC = Path(__file__).parent / "static"


@cache
def asset_version() -> str:
    """A hash of every static file: their URLs change whenever one of them does, so they
    can be cached for good (no revalidation) and an upgrade is seen at once."""
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(STATIC)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def static_prefix() -> str:
    return f"/static/{asset_version()}"


class ImmutableStatic(StaticFiles):
    """Static files under a content-hashed prefix: cached by browsers for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self' ws: wss:; worker-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
"""App pages load only their own origin's scripts, styles and media."""

DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'"
)
"""Swagger UI and ReDoc start from FastAPI's inline script; nothing loads from elsewhere
(not even ReDoc's CDN logo), so the docs look the same with and without internet."""

router = APIRouter(include_in_schema=False)


def _page(name: str, *, framable: bool = False) -> HTMLResponse:
    headers = {
        "Content-Security-Policy": CSP + ("" if framable else "; frame-ancestors 'self'"),
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
    return HTMLResponse(_shell(name), headers=headers)


@cache
def _shell(name: str) -> str:
    return (STATIC / name).read_text().replace("{static}", static_prefix())


@router.get("/")
@router.get("/upload")
@router.get("/posts")
@router.get("/webhooks")
@router.get("/sign-in")
async def app_page() -> HTMLResponse:
    return _page("app.html")


@router.get("/videos/{video_id}")
async def video_page(video_id: str) -> HTMLResponse:
    return _page("app.html")


@router.get("/embed/{video_id}")
async def embed_page(video_id: str) -> HTMLResponse:
    """Just the player, for ``<iframe>`` on any site."""
    return _page("embed.html", framable=True)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="vidhost API",
        swagger_js_url=f"{static_prefix()}/vendor/swagger-ui-dist/swagger-ui-bundle.js",
        swagger_css_url=f"{static_prefix()}/vendor/swagger-ui-dist/swagger-ui.css",
        swagger_favicon_url=f"{static_prefix()}/favicon.svg",
    )
    html = bytes(page.body).decode().replace("</head>", DOCS_FIT + "\n</head>", 1)
    return _docs(HTMLResponse(html))


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return _docs(
        get_redoc_html(
            openapi_url="/openapi.json",
            title="vidhost API",
            redoc_js_url=f"{static_prefix()}/vendor/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{static_prefix()}/favicon.svg",
            with_google_fonts=False,
        )
    )


DOCS_FIT = """<style>
/* A phone's width (390 px) holds the docs without sideways scrolling (issue 24). */
html, body { max-width: 100%; overflow-x: hidden; }
.swagger-ui .wrapper { padding: 0 12px; box-sizing: border-box; }
.swagger-ui .info .title { font-size: 28px; }
.swagger-ui .opblock .opblock-summary { flex-wrap: wrap; }
.swagger-ui .opblock .opblock-summary-path,
.swagger-ui .opblock .opblock-summary-path__deprecated { word-break: break-all; max-width: 100%; }
.swagger-ui .opblock .opblock-summary-description { flex-basis: 100%; }
.swagger-ui pre, .swagger-ui code, .swagger-ui .microlight { white-space: pre-wrap;
  overflow-wrap: anywhere; }
.swagger-ui table { display: block; overflow-x: auto; max-width: 100%; }
.swagger-ui .scheme-container .schemes { flex-wrap: wrap; }
.swagger-ui .model-box, .swagger-ui .model { max-width: 100%; overflow-x: auto; }
</style>"""


def _docs(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


@router.get(ERRORS_PAGE)
async def error_catalogue() -> HTMLResponse:
    """Every error code, its status and meaning: the API docs' last page (issue 24)."""
    return _docs(HTMLResponse(_errors_page()))


@cache
def _errors_page() -> str:
    rows = "\n".join(
        f'<tr id="{escape(e.code)}"><td><code>{escape(e.code)}</code></td>'
        f"<td>{e.status}</td><td>{escape(e.description)}</td></tr>"
        for e in CATALOGUE.values()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vidhost API: error codes</title>
<link rel="icon" href="{static_prefix()}/favicon.svg">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; padding: 16px; max-width: 60rem;
  color: #1b1b1f; }}
table {{ border-collapse: collapse; width: 100%; table-layout: fixed; }}
th, td {{ text-align: left; vertical-align: top; padding: 6px 8px;
  border-bottom: 1px solid #d6d6dc; overflow-wrap: anywhere; }}
th:nth-child(1) {{ width: 38%; }} th:nth-child(2) {{ width: 4.5em; }}
code {{ font-size: 0.9em; }}
</style></head><body>
<p><a href="/docs">API docs</a> · <a href="/redoc">ReDoc</a> ·
<a href="/openapi.json">OpenAPI</a></p>
<h1>Error codes</h1>
<p>Every error is JSON <code>{{"error": "&lt;message&gt;", "code": "&lt;code&gt;"}}</code>; the
HTTP status follows from the code (one code, one status). The same list is
<code>x-error-codes</code> in <a href="/openapi.json">the OpenAPI document</a>, and
<code>vidhost error-codes</code> prints it.</p>
<table><thead><tr><th>code</th><th>status</th><th>meaning</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


def mount_static(app: FastAPI) -> None:
    """Mount ``/static`` (hashed, immutable) on ``app``; the pages are ``router``."""
    app.mount(static_prefix(), ImmutableStatic(directory=STATIC), name="static")
