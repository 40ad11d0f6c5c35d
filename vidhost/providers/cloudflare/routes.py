"""Every router of the Cloudflare Stream surface, in the order the app mounts them."""

from __future__ import annotations

from fastapi import APIRouter

from vidhost.providers.cloudflare import (
    captions,
    clips,
    downloads,
    edits,
    generated_captions,
    playback,
    uploads,
    videos,
    webhooks,
)


def routers() -> list[APIRouter]:
    """Fixed paths (``/webhook``, ``/direct_upload``) before ``{uid}`` ones; playback
    (``/{uid-or-token}/...``) last."""
    return [
        webhooks.router,
        uploads.router,
        uploads.public,
        uploads.tus_router,
        clips.router,  # ``POST /clip`` before edits' ``POST /{uid}``
        downloads.router,  # before videos' ``/{uid}``: ``/{uid}/downloads`` is its own
        generated_captions.router,  # ``POST /{uid}/captions/{language}/generate``
        captions.router,  # ``/{uid}/captions[/{language}[/vtt]]``
        videos.router,
        edits.router,  # ``POST /{uid}``: after every fixed POST path of the surface
        downloads.files,
        playback.router,
    ]
