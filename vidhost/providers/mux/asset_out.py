"""An asset as the Mux routes and webhooks answer it: ``views.asset_view`` with the parts
other services hold (the ``master`` of the original, ADR 0093; text tracks, ADR 0068)."""

from __future__ import annotations

from typing import Any

from vidhost.app.container import Container
from vidhost.core.models import Video
from vidhost.providers.mux.text_track_views import text_track_view


def assets_out(container: Container, videos: list[Video], base_url: str) -> list[dict[str, Any]]:
    out = container.mux.asset_views(videos)  # playback ids, upload, progress, static renditions
    for v, view in zip(videos, out, strict=True):
        view.update(container.mux_master.fields(v, base_url))
        texts = container.captions.of_video(v.id)
        view["tracks"] = [*view.get("tracks", []), *(text_track_view(t) for t in texts)]
    return out


def asset_out(container: Container, video: Video, base_url: str) -> dict[str, Any]:
    return assets_out(container, [video], base_url)[0]
