"""The transcode: a segment plan, then chunk tasks and one audio task (ADR 0060, 0062).

- ``transcode`` (``Transcoder``): fixes the segment plan from the probed source, stores it and
  every playlist (master, one per rung, audio) before a frame is encoded, then creates one
  ``transcode_chunk`` task per chunk and one ``transcode_audio`` task, and dispatches them.
  Its row stays ``processing``; its progress is stored segments / planned.
- ``transcode_chunk`` (``ChunkEncoder``): decodes only its chunk's time range of the source
  (a local copy read through the storage port, kept per worker with S3), encodes every rung,
  stores the chunk's segments. The first chunk goes rung by rung, the start rung and the
  poster first, then the rung a player asks for (ADR 0062).
- ``transcode_audio`` (``AudioEncoder``): encodes the audio once, segmented on the same
  boundaries, each segment stored as soon as it is finished.
- ``LadderProgress``: after each part (and once the start is stored), counts what is stored;
  the start (``SegmentPlan.start_segments`` and the poster) makes the video ``ready``, the
  last part completes the ``transcode`` task. A part that fails twice fails both.
"""

from vidhost.core.scheduling import BACKGROUND_NICE
from vidhost.processing.transcode.audio import AudioEncoder
from vidhost.processing.transcode.chunk import ChunkEncoder
from vidhost.processing.transcode.config import PARTS, TranscodeConfig
from vidhost.processing.transcode.ladder import FinishedHook, LadderProgress, fail_video
from vidhost.processing.transcode.plan import Transcoder
from vidhost.processing.transcode.sources import SourceFiles, load_plan

__all__ = [
    "BACKGROUND_NICE",
    "PARTS",
    "AudioEncoder",
    "ChunkEncoder",
    "FinishedHook",
    "LadderProgress",
    "SourceFiles",
    "TranscodeConfig",
    "Transcoder",
    "fail_video",
    "load_plan",
]
