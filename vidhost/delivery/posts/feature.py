"""Posts (``/api/posts``): a post owns a video."""

from __future__ import annotations

from vidhost.app.feature import Feature
from vidhost.app.wiring import Container
from vidhost.delivery.posts import routes as posts
from vidhost.delivery.posts.service import PostService
from vidhost.delivery.posts.store import SqlPostRepository


def install(c: Container) -> None:
    c.posts = PostService(SqlPostRepository(c.engine), c.videos)


FEATURE = Feature("posts", install=install, routers=(posts.router,))
