"""The pages: one HTML shell per page kind, the static files, and the offline API docs.

Every app page is the same small shell (``app.html``) whose module (``app.js``) mounts the
page named by the path; ``/embed/{id}`` is its own minimal shell. Nothing here reads the
database: data comes from the public API, called by the browser.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
VENDOR = "/static/vendor"

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self' ws: wss:; worker-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
"""App pages load only their own origin's scripts, styles and media."""

router = APIRouter(include_in_schema=False)


def _page(name: str, *, framable: bool = False) -> HTMLResponse:
    headers = {
        "Content-Security-Policy": CSP + ("" if framable else "; frame-ancestors 'self'"),
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
    return HTMLResponse((STATIC / name).read_text(), headers=headers)


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
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="vidhost API",
        swagger_js_url=f"{VENDOR}/swagger-ui-dist/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui-dist/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="vidhost API",
        redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
        redoc_favicon_url="/static/favicon.svg",
        with_google_fonts=False,
    )


def install(app: FastAPI) -> None:
    """Mount the pages, the sign-in exchange and ``/static`` on ``app``."""
    from vidhost.web import signin

    app.include_router(signin.router)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
