"""The ``captions`` task: a ready video's speech as a generated text track (ADR 0069).

``part`` is the language asked for (``core.caption_generation.language_part``). The source
is read through the storage port like every task's; ``media.transcribe`` decodes its audio
and runs the recognizer, both in sandboxed children niced below the work viewers wait for;
the timed words are shaped into reading cues (``core.cue_shaping``) and stored as the
track's WebVTT (``CaptionGeneration.complete``). A failure (``no_audio``, ``no_speech``,
``transcribe_failed``, ...) makes the track ``errored`` with its code (``failed``, the
runner's failure hook). The model folder is found (joined on first use) by the first task.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from vidhost.core.caption_generation import CaptionGeneration, part_language
from vidhost.core.cue_shaping import shape_cues, to_webvtt
from vidhost.core.ports import Storage
from vidhost.media.speech_model import locate_model
from vidhost.media.transcribe import RecognizerConfig, transcribe
from vidhost.processing.probing import source_copy
from vidhost.processing.runner import TaskContext, forget_if_deleted

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptionsConfig:
    recognizer: RecognizerConfig
    """Its ``model_dir`` is the ``captions_model`` setting, resolved at the first task."""
    model_setting: str
    models_dir: Path


class CaptionGenerator:
    def __init__(
        self, generation: CaptionGeneration, storage: Storage, config: CaptionsConfig
    ) -> None:
        self.generation = generation
        self.videos = generation.videos
        self.storage = storage
        self.config = config
        self._recognizer: RecognizerConfig | None = None
        self._lock = threading.Lock()

    def recognizer(self) -> RecognizerConfig:
        with self._lock:
            if self._recognizer is None:
                folder = locate_model(self.config.model_setting, self.config.models_dir)
                self._recognizer = replace(self.config.recognizer, model_dir=folder)
            return self._recognizer

    def __call__(self, ctx: TaskContext) -> None:
        video = ctx.video
        track = self.generation.preparing(video.id, ctx.part)
        if track is None:
            return  # deleted meanwhile: nothing to fill
        speech = part_language(ctx.part)
        recognizer = self.recognizer()
        started = time.monotonic()
        with source_copy(self.storage, video, ctx.source_key) as source:
            result = transcribe(
                recognizer,
                source,
                speech,
                duration=video.duration,
                has_audio=video.audio_codec is not None or video.video_codec is None,
                input_format=video.source_format,
                on_progress=ctx.progress,
            )
        cues = shape_cues(result.words)
        ctx.check_claim()
        forget_if_deleted(self.videos, video.id)
        self.generation.complete(
            video.id, track, to_webvtt(cues), speech=speech, detected=result.detected
        )
        log.info(
            "captions %s of %s: %d cues, heard %s (p=%.2f) in %.1f s",
            speech,
            video.id,
            len(cues),
            result.detected,
            result.probability,
            time.monotonic() - started,
        )

    def failed(self, ctx: TaskContext, code: str, message: str) -> None:
        """The runner's failure hook: the track being filled is ``errored``."""
        self.generation.failed(ctx.video.id, ctx.part, code, message)
