"""Posts (``/api/posts``): a post owns a video."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.delivery.posts.service import PostService
from vidhost.delivery.posts.store import SqlPostRepository

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    c.posts = PostService(SqlPostRepository(c.engine), c.videos)


def routers() -> Sequence[APIRouter]:
    from vidhost.delivery.posts import routes

    return (routes.router,)


FEATURE = Feature(
    "posts",
    install=install,
    routers=routers,
)
