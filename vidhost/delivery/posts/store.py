"""SQL implementation of ``PostRepository``."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import Engine, func, insert, select

from vidhost.adapters.db.tables import posts
from vidhost.delivery.posts.service import Post


class SqlPostRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_post(self, post: Post) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(posts).values(**asdict(post)))

    def get_post(self, post_id: str) -> Post | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(posts).where(posts.c.id == post_id)).mappings().first()
        return Post(**row) if row else None

    def list_posts(self, *, owner: str, limit: int, offset: int) -> tuple[list[Post], int]:
        where = posts.c.owner == owner
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(posts).where(where)).scalar()
            rows = conn.execute(
                select(posts)
                .where(where)
                .order_by(posts.c.created_at.desc(), posts.c.id)
                .limit(limit)
                .offset(offset)
            ).mappings()
            return [Post(**r) for r in rows], int(total or 0)
