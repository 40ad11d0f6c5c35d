"""Posts: ``POST /api/posts`` embeds one of the caller's ready videos."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vidhost.core.models import Video
from vidhost.delivery.posts.service import Post
from vidhost.http.deps import ContainerDep, CurrentUser, Offset
from vidhost.http.views import playback_url, thumbnail_url

router = APIRouter(prefix="/api/posts", tags=["posts"])


class CreatePost(BaseModel):
    content: str | None = Field(default=None, max_length=10_000)
    videoId: str | None = Field(default=None, max_length=64)
    communityId: str | None = Field(default=None, max_length=255)
    type: str | None = Field(default=None, description="Ignored: derived from videoId")


class Author(BaseModel):
    id: str
    name: str
    username: str
    avatar: str | None = None
    verified: bool = False


class Media(BaseModel):
    type: str = "video"
    videoId: str
    url: str | None
    thumbnail: str | None
    duration: float | None


class Community(BaseModel):
    id: str
    name: str | None = None


class PostOut(BaseModel):
    id: str
    content: str
    type: str
    author: Author
    media: Media | None
    community: Community | None
    likes: int = 0
    comments: int = 0
    shares: int = 0
    views: int = 0
    timestamp: str
    isLiked: bool = False
    isSaved: bool = False


class PostList(BaseModel):
    posts: list[PostOut]
    total: int
    limit: int
    offset: int


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "No content and no video; or `Video is still processing`"},
    401: {"description": "Missing or invalid bearer token"},
    404: {
        "description": "`Video not found` (missing, deleted or another user's); "
        "`post_not_found` (missing, or another user's post without a public/unlisted video)"
    },
}


def post_out(request: Request, post: Post, video: Video | None) -> PostOut:
    media = None
    if video is not None:
        media = Media(
            videoId=video.id,
            url=playback_url(request, video),
            thumbnail=thumbnail_url(request, video),
            duration=video.duration,
        )
    return PostOut(
        id=post.id,
        content=post.content,
        type=post.type,
        author=Author(id=post.owner, name=post.owner, username=post.owner),
        media=media,
        community=Community(id=post.community_id) if post.community_id else None,
        timestamp=post.created_at.isoformat().replace("+00:00", "Z"),
    )


@router.post("", response_model=PostOut, responses=ERRORS)
async def create_post(
    body: CreatePost, request: Request, user: CurrentUser, container: ContainerDep
) -> PostOut:
    post, video = await run_in_threadpool(
        lambda: container.posts.create(
            owner=user, content=body.content, video_id=body.videoId, community_id=body.communityId
        )
    )
    return post_out(request, post, video)


@router.get("", response_model=PostList, responses=ERRORS)
async def list_posts(
    request: Request,
    user: CurrentUser,
    container: ContainerDep,
    limit: int = Query(20, ge=1, le=100),
    offset: Offset = 0,
) -> PostList:
    """The caller's own posts, newest first."""

    def load() -> tuple[list[PostOut], int]:
        found, total = container.posts.posts.list_posts(owner=user, limit=limit, offset=offset)
        out = []
        for post in found:
            video = container.videos.find(post.video_id) if post.video_id else None
            out.append(post_out(request, post, video))
        return out, total

    items, total = await run_in_threadpool(load)
    return PostList(posts=items, total=total, limit=limit, offset=offset)


@router.get("/{post_id}", response_model=PostOut, responses=ERRORS)
async def get_post(
    post_id: str, request: Request, user: CurrentUser, container: ContainerDep
) -> PostOut:
    """The author's post; another user's only if it embeds a public or unlisted video."""
    post, video = await run_in_threadpool(lambda: container.posts.get(post_id, viewer=user))
    return post_out(request, post, video)
