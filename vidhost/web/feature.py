"""The web app (ADR 0080): pages, ``/static``, and in the embedded profile the one-time
sign-in link printed at start-up."""

from __future__ import annotations

from collections.abc import Sequence

from vidhost.app.feature import Background, Feature, Job
from vidhost.app.wiring import Container
from vidhost.web import pages, signin


def install(c: Container) -> None:
    c.sign_in_codes = signin.SignInCodes() if signin.is_embedded(c) else None


def background(c: Container) -> Sequence[Background]:
    codes = c.sign_in_codes
    if codes is None:
        return ()
    return [Job(on_start=lambda: signin.announce(codes, c))]


FEATURE = Feature(
    "web",
    install=install,
    routers=(signin.router, pages.router),
    mount=pages.mount_static,
    background=background,
)
