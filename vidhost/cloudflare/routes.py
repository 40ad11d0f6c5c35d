"""Every router of the Cloudflare Stream surface, in the order the app mounts them."""

from __future__ import annotations

from fastapi import APIRouter

from vidhost.cloudflare import playback, uploads, videos


def routers() -> list[APIRouter]:
    """Fixed paths before ``{uid}`` ones; playback (``/{uid-or-token}/...``) last."""
    return [uploads.router, uploads.public, uploads.tus_router, videos.router, playback.router]
