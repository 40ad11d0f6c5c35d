"""The web app (ADR 0080): pages, ``/static``, and in the embedded profile the one-time
sign-in codes (``vidhost serve`` prints a link to one in its banner, ``vidhost.app.banner``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.web.signin_codes import SignInCodes, is_embedded

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI


def install(c: Container) -> None:
    c.sign_in_codes = SignInCodes() if is_embedded(c.settings) else None


def routers() -> Sequence[APIRouter]:
    from vidhost.web import pages, signin

    return (signin.router, pages.router)


def mount(app: FastAPI) -> None:
    from vidhost.web import pages

    pages.mount_static(app)


FEATURE = Feature("web", install=install, routers=routers, mount=mount)
