"""Posts that embed a ready video (``POST /api/posts``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from vidhost.core.access import may_see_embedded
from vidhost.core.errors import InvalidInput, NotFound
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video, present, utcnow
from vidhost.core.videos import VideoService

MAX_CONTENT = 10_000


@dataclass
class Post:
    id: str
    owner: str
    content: str
    type: str
    video_id: str | None = None
    community_id: str | None = None
    created_at: datetime = field(default_factory=utcnow)


class PostRepository(Protocol):
    def add_post(self, post: Post) -> None: ...

    def get_post(self, post_id: str) -> Post | None: ...

    def list_posts(self, *, owner: str, limit: int, offset: int) -> tuple[list[Post], int]: ...


class PostService:
    def __init__(self, posts: PostRepository, videos: VideoService) -> None:
        self.posts = posts
        self.videos = videos

    def create(
        self, *, owner: str, content: str | None, video_id: str | None, community_id: str | None
    ) -> tuple[Post, Video | None]:
        text = (content or "").strip()
        if not text and not video_id:
            raise InvalidInput("a post needs content or a videoId", code="empty_post")
        if len(text) > MAX_CONTENT:
            raise InvalidInput(f"content longer than {MAX_CONTENT} characters", code="too_long")
        video = None
        if video_id:
            video = self.videos.find(video_id)
            # Posts: a video that is missing *or belongs to someone else* is "not found".
            if not present(video) or video.owner != owner:
                raise NotFound("Video not found", code="video_not_found")
            if video.state is not VideoState.READY:
                raise InvalidInput("Video is still processing", code="video_not_ready")
        post = Post(
            id=str(uuid.uuid4()),
            owner=owner,
            content=text,
            type="video" if video else "text",
            video_id=video.id if video else None,
            community_id=community_id,
        )
        self.posts.add_post(post)
        return post, video

    def get(self, post_id: str, *, viewer: str) -> tuple[Post, Video | None]:
        """The post, for its author; for anyone else only if it embeds a public or unlisted
        video. Otherwise ``post_not_found``, as for a post that does not exist."""
        post = self.posts.get_post(post_id)
        if post is None:
            raise NotFound("Post not found", code="post_not_found")
        video = self.videos.find(post.video_id) if post.video_id else None
        if not may_see_embedded(video, post.owner, viewer):
            raise NotFound("Post not found", code="post_not_found")
        return post, video
