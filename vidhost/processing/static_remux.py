"""The ``static_rendition`` task: one rung's file, remuxed from its stored segments (ADR 0065).

``part`` names the rung (its height; 0: the audio rendition). On local storage ffmpeg reads
the rung's init and media segments where they are stored (``concat_input``: no copy, ADR
0094); on other storage they are streamed into one local file first (no whole segment list
in memory); likewise the audio's. ``media.remux`` copies their samples into a progressive MP4
(``+faststart``) or an M4A, stored at ``static/{rung}.mp4`` / ``static/audio.m4a``. Every
preparing static rendition of that rung is then ``ready`` (one event each); a failure makes
them ``errored``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
from pathlib import Path

from vidhost.core import layout
from vidhost.core.downloads import rung_keys
from vidhost.core.ports import Storage
from vidhost.core.static_renditions import (
    ERRORED,
    PREPARING,
    READY,
    StaticRenditionStore,
    part_rung,
)
from vidhost.core.videos import VideoService
from vidhost.media.remux import Input, concat_input, open_files, remux
from vidhost.media.sandbox import task_limits
from vidhost.processing.runner import TaskContext, forget_if_deleted
from vidhost.processing.transcode.sources import load_plan

log = logging.getLogger(__name__)

CONTENT_TYPES = {"mp4": "video/mp4", "m4a": "audio/mp4"}


def concatenate(storage: Storage, keys: list[str], dest: Path) -> None:
    """The objects ``keys``, in order, into one local file (streamed: bounded memory)."""
    with dest.open("wb") as out:
        for key in keys:
            for block in storage.iter_range(key):
                out.write(block)


class StaticRemux:
    def __init__(
        self,
        videos: VideoService,
        storage: Storage,
        store: StaticRenditionStore,
        *,
        ffmpeg: str,
        tmp_dir: Path,
        timeout: float,
        in_place: bool = False,
    ) -> None:
        self.videos = videos
        self.storage = storage
        self.store = store
        self.ffmpeg = ffmpeg
        self.tmp_dir = tmp_dir
        self.timeout = timeout
        self.in_place = in_place
        """Stored objects are local files (``StorageCapabilities.local_files``): ffmpeg reads
        the segments where they are."""

    def __call__(self, ctx: TaskContext) -> None:
        video = ctx.video
        rung = part_rung(ctx.part)
        if not any(r.rung == rung and r.status == PREPARING for r in self.store.of_video(video.id)):
            return  # every name of this rung was deleted meanwhile: nothing to make
        plan = load_plan(self.storage, video.id)
        audio_rung = rung == layout.AUDIO_RENDITION
        key = layout.static_key(video.id, rung)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with (
            tempfile.TemporaryDirectory(dir=self.tmp_dir, prefix=f"static-{video.id}-") as tmp,
            contextlib.ExitStack() as held,
        ):
            ext = "m4a" if audio_rung else "mp4"
            suffix = ".mp4" if plan.cmaf else ".ts"
            lists = [] if audio_rung else [rung_keys(plan, video.id, rung)]
            if plan.has_audio:
                lists.append(rung_keys(plan, video.id, layout.AUDIO_RENDITION))
            inputs: list[Input] = []
            limits = task_limits(self.timeout)
            for n, keys in enumerate(lists):
                if self.in_place:
                    files = [held.enter_context(self.storage.local_copy(k)) for k in keys]
                    inputs.append(concat_input(files, Path(tmp) / f"{n}.txt"))
                else:
                    inputs.append(Path(tmp) / f"{n}{suffix}")
                    concatenate(self.storage, keys, Path(inputs[-1]))
            if self.in_place:
                limits = dataclasses.replace(limits, max_files=open_files(*lists))
            video_in = None if audio_rung else inputs[0]
            audio_in = inputs[-1] if plan.has_audio else None
            out = Path(tmp) / f"out.{ext}"
            remux(
                self.ffmpeg,
                video=video_in,
                audio=audio_in,
                out=out,
                duration=plan.duration,
                limits=limits,
                on_progress=ctx.progress,
            )
            ctx.check_claim()
            info = self.storage.put_file(key, out, move=True, content_type=CONTENT_TYPES[ext])
        forget_if_deleted(self.videos, video.id)
        done = self.store.finish(video.id, rung, READY, owner=video.owner, size_bytes=info.size)
        log.info(
            "static %s of %s stored (%d bytes, %d names)", rung, video.id, info.size, len(done)
        )

    def failed(self, ctx: TaskContext, code: str, message: str) -> None:
        """The runner's failure hook: the rung's preparing renditions are ``errored``."""
        rung = part_rung(ctx.part)
        self.store.finish(
            ctx.video.id, rung, ERRORED, owner=ctx.video.owner, error_code=code, error=message
        )
