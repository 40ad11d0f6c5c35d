"""Static renditions (downloads): asked for, resolved to a rung, made once it is stored.

The one service behind every surface's downloads (ADR 0065). ``request`` records a name; it
is resolved to a rung of the ladder when the video is ready (``skipped`` if the source has
none that fits), and its rung's file is made by a ``static_rendition`` task as soon as every
segment of that rung (and of the audio) is stored: ``advance`` runs after each request and
after every part of the ladder a worker completes, and dispatches the task once. The file
never delays ``ready``: it waits for the ladder, never the reverse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from vidhost.core import layout
from vidhost.core.errors import Conflict, InvalidInput, NotFound, NotReady
from vidhost.core.lifecycle import TASK_DONE, TaskKind, TaskStatus, VideoState
from vidhost.core.models import Rendition, Video, present
from vidhost.core.ports import ObjectInfo, Storage
from vidhost.core.segments import SegmentPlan
from vidhost.core.static_renditions import (
    AUDIO_ONLY,
    ORIGIN_API,
    ORIGIN_MP4_SUPPORT,
    PREPARING,
    READY,
    SKIPPED,
    StaticRendition,
    StaticRenditionStore,
    check_spec,
    name_of,
    new_id,
    rung_for,
    rung_part,
)
from vidhost.core.videos import VideoService

log = logging.getLogger(__name__)

PlanOf = Callable[[str], SegmentPlan | None]

KIND = TaskKind.STATIC_RENDITION


def download_not_found() -> NotFound:
    return NotFound("no such download of this video", code="download_not_found")


def rung_keys(plan: SegmentPlan, video_id: str, rung: str) -> list[str]:
    """Every stored object a rung's file is made from, in order: its init (CMAF), then its
    media segments."""
    init = [layout.hls_prefix(video_id) + layout.init_name(rung)] if plan.cmaf else []
    return init + [
        layout.hls_prefix(video_id) + plan.segment_name(rung, s.index) for s in plan.segments
    ]


class StaticRenditions:
    def __init__(
        self,
        videos: VideoService,
        store: StaticRenditionStore,
        storage: Storage,
        plans: PlanOf,
    ) -> None:
        self.videos = videos
        self.store = store
        self.storage = storage
        self.plans = plans

    # --- reads --------------------------------------------------------------------------

    def of_video(self, video_id: str) -> list[StaticRendition]:
        return self.store.of_video(video_id)

    def find(
        self, video_id: str, *, name: str | None = None, rid: str | None = None
    ) -> StaticRendition:
        for record in self.store.of_video(video_id):
            if (name is not None and record.name == name) or (rid is not None and record.id == rid):
                return record
        raise download_not_found()

    def ready_file(self, video: Video, name: str) -> ObjectInfo:
        """The stored file of the video's ready static rendition ``name`` (404 unknown or
        skipped, 409 still preparing or failed)."""
        record = self.find(video.id, name=name)
        if record.status == SKIPPED:  # the source has no such rung: there is no file
            raise download_not_found()
        if record.status != READY or record.rung is None:
            raise Conflict(f"{name} is {record.status}", code="download_not_ready")
        try:
            return self.storage.stat(layout.static_key(video.id, record.rung))
        except FileNotFoundError:
            raise download_not_found() from None

    # --- writes -------------------------------------------------------------------------

    def request(
        self,
        video: Video,
        spec: str,
        *,
        origin: str = ORIGIN_API,
        passthrough: str | None = None,
        strict: bool = False,
    ) -> StaticRendition:
        """Ask for ``spec``'s file; the record (an existing one of the same name is kept).
        ``strict`` (vidhost, Cloudflare): the video must be ready and have the rung (409
        ``not_ready``, 400 ``rendition_unavailable``); otherwise (Mux) a spec the source
        cannot have ends ``skipped``."""
        check_spec(spec)
        if strict:
            if video.state is not VideoState.READY:
                raise NotReady(f"the video is {video.state.value}, not ready")
            if self._rung(video, spec) is None:
                raise InvalidInput(
                    f"the video has no {spec} rendition", code="rendition_unavailable"
                )
        record = self.store.add(
            StaticRendition(
                id=new_id(),
                video_id=video.id,
                name=name_of(spec),
                spec=spec,
                origin=origin,
                passthrough=passthrough,
            )
        )
        self.advance(video.id)
        return self.find(video.id, rid=record.id)

    def request_many(self, video_id: str, specs: list[str], *, origin: str) -> None:
        """Mux's creation settings (``mp4_support``, ``static_renditions``)."""
        video = self.videos.get(video_id)
        for spec in specs:
            check_spec(spec)
        for spec in specs:
            self.store.add(
                StaticRendition(
                    id=new_id(), video_id=video.id, name=name_of(spec), spec=spec, origin=origin
                )
            )
        self.advance(video.id)

    def remove(self, video_id: str, rendition_id: str) -> None:
        """Delete one static rendition; its rung's file goes when no other name uses it."""
        record = self.store.delete(video_id, rendition_id)
        if record is None:
            raise download_not_found()
        self._drop_unused_file(video_id, record.rung)

    def remove_where(self, video_id: str, keep: Callable[[StaticRendition], bool]) -> None:
        for record in self.store.of_video(video_id):
            if not keep(record):
                self.remove(video_id, record.id)

    def _drop_unused_file(self, video_id: str, rung: str | None) -> None:
        if rung is not None and not any(r.rung == rung for r in self.store.of_video(video_id)):
            self.storage.delete(layout.static_key(video_id, rung))

    # --- the mechanism ------------------------------------------------------------------

    def _rung(self, video: Video, spec: str) -> Rendition | str | None:
        plan = self.plans(video.id)
        has_audio = plan.has_audio if plan is not None else bool(video.audio_codec)
        return rung_for(spec, video.renditions, has_audio)

    def advance(self, video_id: str) -> list[str]:
        """Resolve the video's new records to rungs, and dispatch the task of every rung
        whose segments are all stored and whose file is wanted. Returns the rungs
        dispatched. Idempotent; called after each request and each stored ladder part."""
        records = self.store.of_video(video_id)
        if not any(r.status == PREPARING for r in records):
            return []  # most videos: nothing asked for, no plan or storage read
        video = self.videos.find(video_id)
        if not present(video) or video.state is not VideoState.READY:
            return []
        plan = self.plans(video_id)
        if plan is None:
            return []
        if plan.audio_only:
            records = self._audio_only(video, records)
        for record in records:
            if record.rung is None and record.status == PREPARING:
                self._resolve(video, plan, record)
        wanted = {r.rung for r in self.store.of_video(video_id) if r.status == PREPARING and r.rung}
        if not wanted:
            return []
        stored = {o.key for o in self.storage.list(layout.hls_prefix(video_id))}
        audio = rung_keys(plan, video_id, layout.AUDIO_RENDITION) if plan.has_audio else []
        dispatched = []
        for rung in sorted(wanted):
            keys = rung_keys(plan, video_id, rung) + audio
            if all(k in stored for k in keys) and self._dispatch(video_id, rung_part(rung)):
                dispatched.append(rung)
        return dispatched

    def _audio_only(self, video: Video, records: list[StaticRendition]) -> list[StaticRendition]:
        """On an audio-only video (ADR 0066) every ``mp4_support`` value gives ``audio.m4a``,
        as at Mux: its video names are skipped (Mux lists no such file) and the M4A asked
        for in their place. Other requests resolve as for any video."""
        video_names = [
            r
            for r in records
            if r.origin == ORIGIN_MP4_SUPPORT and r.spec != AUDIO_ONLY and r.status == PREPARING
        ]
        if not video_names:
            return records
        self.store.add(
            StaticRendition(
                id=new_id(),
                video_id=video.id,
                name=name_of(AUDIO_ONLY),
                spec=AUDIO_ONLY,
                origin=ORIGIN_MP4_SUPPORT,
            )
        )
        for record in video_names:
            self.store.skip(record, owner=video.owner)
        return self.store.of_video(video.id)

    def _resolve(self, video: Video, plan: SegmentPlan, record: StaticRendition) -> None:
        rung = rung_for(record.spec, video.renditions, plan.has_audio)
        if rung is None:
            self.store.skip(record, owner=video.owner)
        elif isinstance(rung, str):  # the audio rendition
            self.store.resolve(record.id, rung=rung, bitrate=plan.audio_bitrate)
        else:
            self.store.resolve(
                record.id,
                rung=rung.name,
                width=rung.width,
                height=rung.height,
                bitrate=rung.bitrate,
            )

    def _dispatch(self, video_id: str, part: int) -> bool:
        """Send the rung's task once: a new row, or a finished one asked for again (a file
        deleted and requested anew). A row pending or at work is left alone."""
        row = self.videos.task(video_id, KIND, part=part)
        if row is None:
            self.videos.start_parts(video_id, [(KIND, part)])
            return True
        if row.status in TASK_DONE and self.videos.report_task(
            video_id, KIND, TaskStatus.PENDING, 0.0, part=part, only_if=row.status
        ):
            self.videos.dispatch_again(video_id, KIND, part)
            return True
        return False
