"""Posts (``/api/posts``): a post owns a video."""

from __future__ import annotations

from vidhost.api import posts
from vidhost.db.posts import SqlPostRepository
from vidhost.domain.posts import PostService
from vidhost.features.feature import Feature
from vidhost.wiring import Container


def install(c: Container) -> None:
    c.posts = PostService(SqlPostRepository(c.engine), c.videos)


FEATURE = Feature("posts", install=install, routers=(posts.router,))
