"""A clip's ladder from its source's stored segments (ADR 0067): the plan that names them
(``clip_plan``) and the chunk that copies them (``copy_rungs``), on every rung whose init
segment decodes them alike; only the clip's two edge chunks are encoded."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from vidhost.core import layout
from vidhost.core.clips import clip_of, reuse_plan
from vidhost.core.models import Video
from vidhost.core.ports import Storage
from vidhost.core.segments import Chunk, PlannedRendition, SegmentPlan
from vidhost.media import cmaf
from vidhost.media.errors import MediaError
from vidhost.processing.runner import TaskContext
from vidhost.processing.transcode.parts import PartEncoder
from vidhost.processing.transcode.sources import load_plan

log = logging.getLogger(__name__)


class ChunkPass(Protocol):
    """What the copy needs of the chunk task's pass (``chunk._Pass``)."""

    ctx: TaskContext
    plan: SegmentPlan
    chunk: Chunk
    out: Path
    rungs_done: int

    def run(
        self,
        rungs: list[PlannedRendition],
        *,
        nice: int,
        inits: list[PlannedRendition] | None = None,
    ) -> None: ...


def clip_plan(storage: Storage, video: Video, plan: SegmentPlan) -> SegmentPlan:
    """A clip's ``plan`` on its source's segment boundaries, its inner chunk copied
    (``vidhost.core.clips.reuse_plan``); any other video's plan, or a clip whose source's
    plan is gone or differs (rungs, rate, quality), as it is."""
    clip = clip_of(video)
    if clip is None or not plan.renditions:
        return plan
    try:
        source = load_plan(storage, clip["source"])
    except MediaError:
        return plan  # the source was deleted meanwhile: the clip is encoded from its own
    first = round(Fraction(clip["start"]) * plan.fps)
    return reuse_plan(plan, source, source_id=clip["source"], first=first) or plan


def copy_rungs(
    encoder: PartEncoder,
    pass_: ChunkPass,
    source_id: str,
    offset: int,
    stored: Callable[[str], bool],
) -> list[PlannedRendition]:
    """Store the pass's chunk of every rung as the source video's segments ``offset`` on,
    each placed on the clip's timeline (its ``tfdt`` and sequence number; the samples are the
    source's bytes). A rung is copied only if the clip's init segment (stored by chunk 0,
    else made here from the chunk's first frame, as the first chunk makes the other rungs')
    decodes the source's segments alike (``cmaf.same_decoding``: the same x264 settings
    write the same SPS/PPS) and every one of its source segments is stored. The rungs left
    to encode; ``stored``: is that rung's chunk stored already (a re-run)?"""
    ctx, plan, storage = pass_.ctx, pass_.plan, encoder.storage
    mine, theirs = layout.hls_prefix(ctx.video.id), layout.hls_prefix(source_id)
    rungs = [r for r in plan.renditions if not stored(r.name)]
    source_inits: dict[str, bytes] = {}
    for rung in rungs:
        with contextlib.suppress(FileNotFoundError):  # the source is gone: encode
            source_inits[rung.name] = storage.get_bytes(theirs + layout.init_name(rung.name))
    missing = [r for r in rungs if r.name in source_inits and not _exists(storage, mine, r)]
    if missing:
        pass_.run([], nice=0, inits=missing)
    left: list[PlannedRendition] = []
    for rung in rungs:
        theirs_init = source_inits.get(rung.name)
        try:
            alike = theirs_init is not None and cmaf.same_decoding(
                theirs_init, storage.get_bytes(mine + layout.init_name(rung.name))
            )
            if not alike:
                log.warning("clip %s: %s is encoded (its init differs)", ctx.video.id, rung.name)
                left.append(rung)
                continue
            names = _copy(pass_, storage, theirs, rung.name, offset)
        except (FileNotFoundError, cmaf.CmafError) as exc:
            log.info("clip %s: %s is encoded (%s)", ctx.video.id, rung.name, exc)
            left.append(rung)
            continue
        encoder._store(ctx, pass_.out, names)
        pass_.rungs_done += 1
        ctx.progress(pass_.rungs_done * 100 / len(plan.renditions))
    log.info(
        "clip %s: chunk %s copied from %s (%s), %s to encode",
        ctx.video.id,
        pass_.chunk.index,
        source_id,
        ",".join(r.name for r in rungs if r not in left) or "no rung",
        ",".join(r.name for r in left) or "none",
    )
    return left


def _exists(storage: Storage, prefix: str, rung: PlannedRendition) -> bool:
    try:
        storage.stat(prefix + layout.init_name(rung.name))
    except FileNotFoundError:
        return False
    return True


def _copy(pass_: ChunkPass, storage: Storage, theirs: str, rung: str, offset: int) -> list[str]:
    """The chunk's segments of ``rung``, read from the source (``theirs``) and written into
    the pass's directory as the clip's: the names to store."""
    plan, names = pass_.plan, []
    for segment in plan.chunk_segments(pass_.chunk):
        data = storage.get_bytes(theirs + plan.segment_name(rung, segment.index + offset))
        name = plan.segment_name(rung, segment.index)
        placed = cmaf.media_segment(
            cmaf.fragment(data),
            decode_time=segment.start_frame * plan.frame_ticks,
            sequence=segment.index + 1,
        )
        (pass_.out / name).write_bytes(placed)
        names.append(name)
    return names
