"""What the Mux routes do, on vidhost's services: uploads, assets, playback ids, pulls.

No state of its own beyond the Mux records (``store.py``): an upload is a resumable upload
(``core.resumable.ResumableUploads``, vidhost's tus engine) with its pending video, an
asset is the video, and every source enters through ``VideoService.accept_source`` (the
upload's completion hook, or a pull).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from vidhost.core.access import OPEN, PRIVATE, UNLISTED
from vidhost.core.clips import Clipper
from vidhost.core.downloads import StaticRenditions
from vidhost.core.errors import CodedError, Conflict, InvalidInput, NotFound
from vidhost.core.ingest import KIND, SourceWay, ingest_of, ingest_option
from vidhost.core.lifecycle import VideoState
from vidhost.core.models import Task, Video, present
from vidhost.core.ports import UrlFetcher
from vidhost.core.resumable import ResumableUploads
from vidhost.core.upload_models import Upload
from vidhost.core.videos import VideoService
from vidhost.providers.mux import paging, views
from vidhost.providers.mux import uploads as U
from vidhost.providers.mux.playback_ids import POLICIES, PUBLIC, PlaybackId, new_playback_id
from vidhost.providers.mux.static_rendition_views import creation_specs
from vidhost.providers.mux.store import SqlMuxStore

log = logging.getLogger(__name__)

S = VideoState
ASSET_STATES = (S.UPLOADED, S.PROCESSING, S.READY, S.FAILED)
"""A video is a Mux asset once its source was accepted (or refused), or from the start when
it is pulled from a URL (``metadata.mux.ingest == "url"``) or cut from an asset (``clip``)."""
URL_INGEST = "url"
CLIP_INGEST = "clip"
PULL = "pull"
"""The ``ingest`` way of a URL pull (``Container.ingest_ways``)."""


def is_asset(video: Video) -> bool:
    pulled = (video.metadata.get("mux") or {}).get("ingest") in (URL_INGEST, CLIP_INGEST)
    return video.state in ASSET_STATES or (pulled and video.state is not S.DELETED)


def asset_not_found() -> NotFound:
    return NotFound("Asset not found", code="asset_not_found")


def policies_of(settings: dict[str, Any]) -> list[str]:
    raw = settings.get("playback_policies") or settings.get("playback_policy") or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or any(p not in POLICIES for p in raw):
        raise InvalidInput(
            "playback_policy must be a list of public | signed", code="invalid_request"
        )
    return list(dict.fromkeys(raw))


def visibility_for(policies: list[str]) -> str:
    """A video's own visibility (vidhost surfaces): open if anything plays it publicly."""
    return UNLISTED if PUBLIC in policies else PRIVATE


def _mux_meta(ingest: str, settings: dict[str, Any]) -> dict[str, Any]:
    """What an asset made by the server (a pull, a clip) keeps of its creation settings."""
    kept = ("passthrough", "mp4_support", "video_quality", "test")
    return {"ingest": ingest, **{k: settings[k] for k in kept if settings.get(k) is not None}}


@dataclass(frozen=True)
class PullConfig:
    """How much an input URL is downloaded, for how long (``POST /video/v1/assets``)."""

    max_bytes: int
    timeout: float


class MuxService:
    """The Mux surface's use cases, over what they use: the video service, the video
    records (reads), resumable uploads, the guarded URL fetcher and its own store."""

    def __init__(
        self,
        videos: VideoService,
        uploads: ResumableUploads,
        fetcher: UrlFetcher,
        pull: PullConfig,
        store: SqlMuxStore,
        statics: StaticRenditions,
        clips: Clipper,
    ) -> None:
        self.videos = videos
        self.uploads = uploads
        self.fetcher = fetcher
        self.pull = pull
        self.store = store
        self.statics = statics
        """Static renditions (``mp4_support``, ``static_renditions``; ADR 0065)."""
        self.clips = clips
        """Clips of assets (``mux://assets/{id}`` inputs; ADR 0067)."""

    # --- direct uploads ---------------------------------------------------------------------

    def create_upload(
        self,
        owner: str,
        *,
        cors_origin: str | None,
        new_asset_settings: dict[str, Any],
        timeout: int,
        test: bool,
    ) -> U.MuxUpload:
        policies = policies_of(new_asset_settings)
        statics = creation_specs(new_asset_settings)
        upload = self.uploads.create(owner=owner, length=None, metadata={}, extra={"source": "mux"})
        assert upload.video_id is not None
        self.videos.update(upload.video_id, visibility=visibility_for(policies))
        record = U.MuxUpload(
            id=upload.id,
            owner=owner,
            upload_id=upload.id,
            video_id=upload.video_id,
            status=U.WAITING,
            timeout=timeout,
            new_asset_settings=new_asset_settings,
            cors_origin=cors_origin,
            test=test,
        )
        self.store.add_upload(record)
        for policy in policies:
            self._add_playback_id(upload.video_id, owner, policy)
        self._ask_statics(upload.video_id, statics)
        return record

    def upload(self, upload_id: str, owner: str | None = None) -> U.MuxUpload:
        record = self.store.get_upload(upload_id)
        if record is None or (owner is not None and record.owner != owner):
            raise NotFound("Upload not found", code="upload_not_found")
        return record

    def status(self, record: U.MuxUpload) -> U.UploadStatus:
        status = U.status_of(record, self.videos.find(record.video_id))
        expired = status.status == U.TIMED_OUT and record.status == U.WAITING
        if expired and self.store.set_upload_status(record.id, U.TIMED_OUT, only_if=U.WAITING):
            self._drop_bytes(record)
        return status

    def list_uploads(self, owner: str, *, limit: int, page: int) -> list[U.MuxUpload]:
        return self.store.list_uploads(owner, limit=limit, offset=(page - 1) * limit)

    def cancel(self, upload_id: str, owner: str) -> U.MuxUpload:
        record = self.upload(upload_id, owner)
        if self.status(record).status != U.WAITING:
            raise Conflict("Only a waiting upload can be cancelled", code="upload_not_waiting")
        if self.store.set_upload_status(record.id, U.CANCELLED, only_if=U.WAITING):
            video = self.videos.find(record.video_id)
            if video is not None:  # before the bytes go: the notice names the video
                self.videos.notify(video, "video.upload.cancelled")
            self._drop_bytes(record)
        return self.upload(upload_id, owner)

    def _drop_bytes(self, record: U.MuxUpload) -> None:
        """The upload's bytes and its pending video go (no asset will come of it)."""
        try:
            self.uploads.terminate(record.upload_id, record.owner)
        except CodedError as exc:  # already complete, expired or swept
            log.info("mux upload %s: nothing to terminate (%s)", record.id, exc.code)

    def writable(self, upload_id: str) -> tuple[U.MuxUpload, Upload]:
        """The upload and its bytes so far; only a ``waiting`` upload takes more."""
        record = self.upload(upload_id)
        status = self.status(record)
        if status.status not in (U.WAITING, U.ASSET_CREATED):
            raise Conflict(f"the upload is {status.status}", code="upload_not_waiting")
        data = self.uploads.get(record.upload_id, record.owner, allow_expired=True)
        return record, data

    async def write(
        self,
        record: U.MuxUpload,
        *,
        offset: int,
        body: AsyncIterator[bytes],
        total: int | None,
        content_length: int | None,
    ) -> Upload:
        return await self.uploads.write(
            record.upload_id,
            record.owner,
            offset=offset,
            body=body,
            length=total,
            content_length=content_length,
        )

    # --- assets -----------------------------------------------------------------------------

    def asset(self, asset_id: str, owner: str) -> Video:
        video = self.videos.find(asset_id)
        if video is None or video.owner != owner or not is_asset(video):
            raise asset_not_found()
        return video

    def assets_page(
        self, owner: str, *, limit: int, page: int, cursor: str | None
    ) -> tuple[list[Video], str | None]:
        """A page of assets and the ``next_cursor`` (``paging.py``)."""

        def lister(before: datetime | None, count: int, offset: int) -> list[Video]:
            videos, _ = self.videos.listing(
                owner=owner, states=ASSET_STATES, limit=count, offset=offset, created_before=before
            )
            return videos

        return paging.page(lister, limit=limit, page_number=page, cursor=cursor)

    def asset_parts(
        self, videos: list[Video]
    ) -> tuple[dict[str, list[PlaybackId]], dict[str, U.MuxUpload | None]]:
        ids = [v.id for v in videos]
        return self.store.playback_ids_of(ids), {v: self.store.upload_of_video(v) for v in ids}

    def _ask_statics(self, video_id: str, specs: list[tuple[str, str, str | None]]) -> None:
        """The static renditions an asset's settings ask for: preparing now, resolved to
        rungs when it is ready, made when their rungs are stored (ADR 0065)."""
        for spec, origin, passthrough in specs:
            video = self.videos.get(video_id)
            self.statics.request(video, spec, origin=origin, passthrough=passthrough)

    def asset_views(self, videos: list[Video]) -> list[dict[str, Any]]:
        """The assets in Mux's shape (playback ids, upload, progress, static renditions)."""
        pids, uploads = self.asset_parts(videos)
        return [
            views.asset_view(
                v, pids[v.id], uploads[v.id], self.tasks_of(v.id), self.statics.of_video(v.id)
            )
            for v in videos
        ]

    def tasks_of(self, asset_id: str) -> list[Task]:
        """The asset's tasks (its ``transcode`` task tells how much of the ladder is stored)."""
        return self.videos.tasks(asset_id)

    def delete_asset(self, asset_id: str, owner: str) -> None:
        video = self.asset(asset_id, owner)
        self.videos.delete(video.id)
        self.store.delete_playback_ids_of(video.id)

    def create_asset(
        self,
        owner: str,
        url: str,
        settings: dict[str, Any],
        options: dict[str, Any] | None = None,
    ) -> Video:
        """Pull ``url`` (checked by the URL guard now, and again when connecting) into a new
        asset: the record answers at once (``preparing``); an ``ingest`` task downloads,
        size-capped and time-bounded, and hands the file to ``accept_source`` (ADR 0094).
        ``options``: the video's processing options (``asset_settings.options_of``), set
        before any byte arrives."""
        policies = policies_of(settings)
        statics = creation_specs(settings)
        self.fetcher.check(url)  # refuse a local or private URL before anything exists
        video = self.videos.create_pending(
            owner=owner,
            metadata={"mux": _mux_meta(URL_INGEST, settings)},
            options={**(options or {}), **ingest_option(PULL, url=url)},
        )
        self.videos.update(video.id, visibility=visibility_for(policies))
        for policy in policies:
            self._add_playback_id(video.id, owner, policy)
        self._ask_statics(video.id, statics)
        self.videos.start_tasks(video.id, [KIND])
        return self.videos.get(video.id)

    def create_clip(
        self,
        owner: str,
        source_id: str,
        start: float | None,
        end: float | None,
        settings: dict[str, Any],
        options: dict[str, Any] | None = None,
    ) -> Video:
        """A clip of the caller's ready asset ``source_id`` (``mux://assets/{id}``, ADR
        0067): a new asset with its own playback ids and static renditions; the cut and
        the ladder follow (``preparing`` until ready)."""
        policies = policies_of(settings)
        statics = creation_specs(settings)
        video = self.clips.create(
            owner,
            source_id,
            start,
            end,
            visibility=visibility_for(policies),
            metadata={"mux": _mux_meta(CLIP_INGEST, settings)},
            options=options,
            not_found=asset_not_found(),
        )
        for policy in policies:
            self._add_playback_id(video.id, owner, policy)
        self._ask_statics(video.id, statics)
        return self.videos.get(video.id)

    def source_way(self) -> SourceWay:
        """How the ``ingest`` task makes a pulled asset's source (``Container.ingest_ways``)."""
        return SourceWay(self._pull, ("download_failed", "the input could not be read"))

    def _pull(self, video: Video, path: Path) -> None:
        """Download the video's input URL (checked again by the guard as it connects)."""
        spec = ingest_of(video) or {}
        url, s = str(spec.get("url") or ""), self.pull
        self.fetcher.fetch(url, path, max_bytes=s.max_bytes, timeout=s.timeout)

    # --- playback ids -----------------------------------------------------------------------

    def _add_playback_id(self, video_id: str, owner: str, policy: str) -> PlaybackId:
        pid = PlaybackId(id=new_playback_id(), video_id=video_id, owner=owner, policy=policy)
        self.store.add_playback_id(pid)
        return pid

    def create_playback_id(self, asset_id: str, owner: str, policy: str) -> PlaybackId:
        if policy not in POLICIES:
            raise InvalidInput("policy must be public or signed", code="invalid_request")
        video = self.asset(asset_id, owner)
        pid = self._add_playback_id(video.id, owner, policy)
        if policy == PUBLIC and video.visibility not in OPEN:
            self.videos.update(video.id, visibility=UNLISTED)
        return pid

    def playback_id(self, playback_id: str, owner: str, asset_id: str | None = None) -> PlaybackId:
        pid = self.store.get_playback_id(playback_id)
        if pid is None or pid.owner != owner or (asset_id is not None and pid.video_id != asset_id):
            raise NotFound("Playback ID not found", code="playback_id_not_found")
        return pid

    def delete_playback_id(self, asset_id: str, playback_id: str, owner: str) -> None:
        self.asset(asset_id, owner)
        pid = self.playback_id(playback_id, owner, asset_id)
        self.store.delete_playback_id(pid.id, asset_id)

    def resolve(self, playback_id: str) -> tuple[PlaybackId, Video]:
        """A playback id and its video, for the stream and image routes (no owner)."""
        pid = self.store.get_playback_id(playback_id)
        video = self.videos.find(pid.video_id) if pid else None
        if pid is None or not present(video):
            raise NotFound("Playback ID not found", code="playback_id_not_found")
        return pid, video
