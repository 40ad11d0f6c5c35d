"""Mux's ``master_access`` and ``master`` over vidhost's original upload (ADR 0093).

``master_access: temporary`` (at creation, in ``new_asset_settings``, or ``PUT
.../master-access``) grants a link to the original bytes for ``VIDHOST_ORIGINAL_LINK_TTL``
seconds (24 h, as Mux) from the later of the grant and the asset being ready; then
``master_access`` is ``none`` again. ``master``: ``{"status": "preparing"}`` until the asset
is ready, ``{"status": "ready", "url": ...}`` within the window, ``{"status": "errored"}``
when the asset errored or its original is gone. The grant is ``options["original_access"]
= {"granted_at": unix}`` on the video; becoming available sends ``video.asset.master.ready``
(``webhook_format.py``), at ``ready`` or at a later grant (the ``video.original.ready``
notice).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from vidhost.core.errors import CodedError, InvalidInput
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Video
from vidhost.core.originals import OriginalLinks
from vidhost.core.videos import VideoService

TEMPORARY = "temporary"
NONE = "none"
VALUES = (TEMPORARY, NONE)
GRANT = "original_access"
ORIGINAL_READY = "video.original.ready"
"""The notice (``VideoService.notify``) a grant on a ready asset sends."""


def check_value(value: object) -> str:
    if value not in VALUES:
        raise InvalidInput("master_access must be temporary or none", code="invalid_request")
    return str(value)


def granted_at(video: Video) -> datetime | None:
    grant = video.options.get(GRANT)
    if not isinstance(grant, dict) or not isinstance(grant.get("granted_at"), int | float):
        return None
    return datetime.fromtimestamp(grant["granted_at"], UTC)


class MasterAccess:
    def __init__(self, videos: VideoService, links: OriginalLinks) -> None:
        self.videos = videos
        self.links = links

    def check(self, value: object) -> str | None:
        """A requested ``master_access`` (None: not sent); ``temporary`` is refused with 409
        ``original_not_kept`` when this server offers no original downloads."""
        if value is None:
            return None
        value = check_value(value)
        if value == TEMPORARY:
            self.links.check_offered()
        return value

    def window_end(self, video: Video) -> datetime | None:
        """When the grant lapses; None without a grant or before the asset is ready."""
        start = granted_at(video)
        if start is None or video.ready_at is None:
            return None
        return max(start, video.ready_at) + timedelta(seconds=self.links.ttl)

    def active(self, video: Video, now: datetime | None = None) -> bool:
        """Granted and not lapsed (a grant before ``ready`` is active: its window starts
        then)."""
        if granted_at(video) is None:
            return False
        end = self.window_end(video)
        return end is None or (now or datetime.now(UTC)) < end

    def set(self, video: Video, value: str) -> Video:
        """Grant (``temporary``, a new 24 h window) or withdraw (``none``)."""
        options = {k: v for k, v in video.options.items() if k != GRANT}
        if value == TEMPORARY:
            options[GRANT] = {"granted_at": int(time.time())}
        self.videos.update(video.id, options=options)
        updated = self.videos.get(video.id)
        if value == TEMPORARY and updated.state is VideoState.READY:
            self.videos.notify(updated, ORIGINAL_READY)
        return updated

    def fields(self, video: Video, base_url: str) -> dict[str, Any]:
        """``master_access`` and, while it is ``temporary``, ``master``."""
        now = datetime.now(UTC)
        if not self.active(video, now):
            return {"master_access": NONE}
        if video.state is VideoState.FAILED:
            return {"master_access": TEMPORARY, "master": {"status": "errored"}}
        end = self.window_end(video)
        if video.state is not VideoState.READY or end is None:
            return {"master_access": TEMPORARY, "master": {"status": "preparing"}}
        try:
            link = self.links.link(video, until=end, base_url=base_url, now=now.timestamp())
        except CodedError:  # the original is not stored (or downloads were turned off)
            return {"master_access": TEMPORARY, "master": {"status": "errored"}}
        return {"master_access": TEMPORARY, "master": {"status": "ready", "url": link.url}}
