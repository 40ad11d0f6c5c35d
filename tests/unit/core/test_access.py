"""The access decision (``vidhost.core.access``) and tokenized playlists, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vidhost.core.access import (
    Audience,
    PlaybackGrant,
    Viewer,
    authorize,
    is_listed,
    may_see_embedded,
)
from vidhost.core.errors import DomainError, Forbidden, Unauthorized
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video
from vidhost.http.reads import carry_token

LATER = datetime(2100, 1, 1, tzinfo=UTC)


class Grants:
    """Verifier port: token text ``video:aud:key_owner`` -> its grant; ``bad`` is refused."""

    def verify(self, token: str) -> PlaybackGrant:
        if token == "bad":
            raise Forbidden("invalid", code="playback_token_invalid")
        video_id, aud, owner = token.split(":")
        return PlaybackGrant(video_id, aud or None, owner or None, LATER)


def video(visibility: str) -> Video:
    return Video(id="v1", owner="alice", state=VideoState.READY, visibility=visibility)


def decide(vis: str, viewer: Viewer, aud: Audience = Audience.VIDEO, **kw: bool) -> str:
    try:
        access = authorize(video(vis), viewer, aud, Grants(), **kw)
    except DomainError as exc:
        return exc.code
    return "private" if access.private else "public"


def test_media_reads() -> None:
    for vis in ("public", "unlisted"):
        assert decide(vis, Viewer()) == "public"
        assert decide(vis, Viewer(token="bad")) == "public"  # an open video ignores tokens
    assert decide("private", Viewer()) == "playback_token_required"
    assert decide("private", Viewer(user="bob")) == "playback_token_required"
    assert decide("private", Viewer(user="alice")) == "private"
    assert decide("private", Viewer(token="v1:v:")) == "private"
    assert decide("private", Viewer(token="v1:v:alice")) == "private"
    assert decide("private", Viewer(token="v1:v:bob")) == "playback_token_wrong_key"
    assert decide("private", Viewer(token="v2:v:")) == "playback_token_wrong_video"
    assert decide("private", Viewer(token="v1:t:")) == "playback_token_wrong_audience"
    assert decide("private", Viewer(token="v1:t:"), Audience.THUMBNAIL) == "private"
    assert decide("private", Viewer(token="bad")) == "playback_token_invalid"


def test_owner_surfaces() -> None:
    for vis in ("public", "unlisted", "private"):
        assert decide(vis, Viewer(), owner_only=True) == "unauthorized"
        assert decide(vis, Viewer(user="bob"), owner_only=True) == "access_denied"
        assert decide(vis, Viewer(user="alice"), owner_only=True) == "private"
        assert decide(vis, Viewer(token="v1:v:"), owner_only=True) == "private"
        assert decide(vis, Viewer(token="v1:g:"), owner_only=True) == (
            "playback_token_wrong_audience"
        )


def test_listing_and_posts() -> None:
    assert is_listed(video("public"), None)
    assert not is_listed(video("unlisted"), None) and not is_listed(video("private"), "bob")
    assert is_listed(video("private"), "alice")
    assert may_see_embedded(None, "alice", "alice")
    assert not may_see_embedded(None, "alice", "bob")  # a text post is its author's own
    assert may_see_embedded(video("unlisted"), "alice", "bob")
    assert not may_see_embedded(video("private"), "alice", "bob")


def test_errors_are_the_stable_kinds() -> None:
    with pytest.raises(Unauthorized):
        authorize(video("private"), Viewer(), Audience.VIDEO, Grants(), owner_only=True)
    with pytest.raises(Forbidden):
        authorize(video("private"), Viewer(), Audience.VIDEO, Grants())


def test_carry_token_rewrites_uri_lines_and_uri_attributes() -> None:
    playlist = (
        '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:1.0,\nsegment/240p_00000.ts\n\n360p.m3u8?x=1\n'
    )
    assert carry_token(playlist, "a.b+c") == (
        "#EXTM3U\n"
        '#EXT-X-MAP:URI="init.mp4?token=a.b%2Bc"\n'
        "#EXTINF:1.0,\n"
        "segment/240p_00000.ts?token=a.b%2Bc\n"
        "\n"
        "360p.m3u8?x=1&token=a.b%2Bc\n"
    )


def test_a_token_without_audience_opens_every_kind_of_bytes_of_its_video_only() -> None:
    """Cloudflare-shaped signed URLs: one token for playlists, segments and images."""
    for aud in Audience:
        assert decide("private", Viewer(token="v1::"), aud) == "private"
    assert decide("private", Viewer(token="v2::")) == "playback_token_wrong_video"
    assert decide("private", Viewer(token="v1::bob")) == "playback_token_wrong_key"
