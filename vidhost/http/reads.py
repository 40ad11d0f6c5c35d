"""What every read surface shares: find the video, ask ``domain.access``, cache headers.

The decision itself lives in ``vidhost.core.access``; this module only feeds it the row and
the caller, and turns its answer into ``Cache-Control``/``Vary`` and tokenized playlists.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from vidhost.app.container import Container
from vidhost.core.access import Access, Audience, Viewer, authorize
from vidhost.core.errors import Unauthorized
from vidhost.core.models import Video

PRIVATE_CACHE = "private, max-age=60"
VARY = "Authorization"
SEGMENT_CACHE = "public, max-age=31536000, immutable"
"""A media segment (or init segment) of a public or unlisted video: never changes."""
PLAYLIST_CACHE = "public, max-age=60"
"""A playlist, the poster: rewritten when a video is re-processed."""
PRIVATE_SEGMENT_CACHE = "private, max-age=3600"


def find_video(container: Container, video_id: str) -> Video:
    return container.videos.get(video_id)


def authorize_read(
    container: Container,
    video: Video,
    viewer: Viewer,
    audience: Audience,
    *,
    owner_only: bool = False,
) -> Access:
    """Blocking (a token's key is read from the database): call it in the threadpool."""
    return authorize(video, viewer, audience, container.playback, owner_only=owner_only)


def readable(
    container: Container,
    video_id: str,
    viewer: Viewer,
    audience: Audience,
    *,
    owner_only: bool = False,
) -> tuple[Video, Access]:
    """The video and the access granted; an owner surface without any credential is a 401
    before the lookup (as ``CurrentUser`` routes answer)."""
    if owner_only and viewer.user is None and viewer.token is None:
        raise Unauthorized("Unauthorized", code="unauthorized")
    video = find_video(container, video_id)
    return video, authorize_read(container, video, viewer, audience, owner_only=owner_only)


def cache_headers(access: Access, public: str, private: str = PRIVATE_CACHE) -> dict[str, str]:
    """``Cache-Control`` for the answer (``private`` for private videos) and ``Vary``."""
    return {"Cache-Control": private if access.private else public, "Vary": VARY}


_URI_ATTR = re.compile(r'URI="([^"]*)"')


_TEMPLATE_ATTR = re.compile(r'\b(initialization|media)="([^"]*)"')
_BASE_URL = re.compile(r"<BaseURL>([^<]*)</BaseURL>")


def carry_token_dash(mpd: str, token: str) -> str:
    """Append ``token`` to the segment URIs of a DASH manifest (``SegmentTemplate``'s
    ``initialization`` and ``media``, a text track's ``BaseURL``), as ``carry_token`` does
    for HLS."""
    value = quote(token, safe="")

    def add(match: re.Match[str]) -> str:
        uri = match.group(2)
        joiner = "&amp;" if "?" in uri else "?"
        return f'{match.group(1)}="{uri}{joiner}token={value}"'

    def add_base(match: re.Match[str]) -> str:
        uri = match.group(1)
        joiner = "&amp;" if "?" in uri else "?"
        return f"<BaseURL>{uri}{joiner}token={value}</BaseURL>"

    return _BASE_URL.sub(add_base, _TEMPLATE_ATTR.sub(add, mpd))


def carry_token(playlist: str, token: str) -> str:
    """Append ``token`` to every URI of an HLS playlist (URI lines and ``URI="..."``)."""
    value = quote(token, safe="")

    def add(uri: str) -> str:
        return f"{uri}{'&' if '?' in uri else '?'}token={value}"

    lines = []
    for line in playlist.splitlines():
        stripped = line.strip()
        if not stripped:
            lines.append(line)
        elif stripped.startswith("#"):
            lines.append(_URI_ATTR.sub(lambda m: f'URI="{add(m.group(1))}"', line))
        else:
            lines.append(add(stripped))
    return "\n".join(lines) + "\n"
