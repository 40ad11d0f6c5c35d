"""Generated captions: asked for, run once per video and language, kept as text tracks.

The one service behind every surface's "generate captions" (vidhost's
``POST /api/videos/{id}/captions/generate`` and upload option, Mux's ``generated_subtitles``
and ``generate-subtitles``, Cloudflare's ``captions/{language}/generate``; ADR 0069):

- ``request`` makes a ``preparing`` generated text track (``core.captions``) and, once the
  video is ``ready``, dispatches the ``captions`` task of its language: ``part`` is the
  language (:func:`language_part`, 0 for ``auto``), so the task key
  ``(video, captions, language)`` runs once. A second request for a language that has a
  generated track preparing or ready answers that track; one after a failure, or after the
  track was deleted, runs the task again.
- ``advance`` (after each request and each stored ladder part) dispatches the tasks of a
  video that became ``ready``: generation never delays ``ready``, it waits for it.
- The worker's task (``processing/captions.py``) ends in ``Captions.complete`` (the track
  ``ready``, its language the detected one for ``auto``, ``detected_language`` when the
  recognizer heard another language than asked) or ``failed`` (``errored`` with the code:
  ``no_audio``, ``no_speech``, ...).
"""

from __future__ import annotations

from typing import Final

from vidhost.core.captions import Captions
from vidhost.core.errors import InvalidInput
from vidhost.core.lifecycle import TASK_DONE, TaskKind, TaskStatus, VideoState
from vidhost.core.models import Video, present
from vidhost.core.text_tracks import ERRORED, PREPARING, READY, TextTrack, language_tag
from vidhost.core.webvtt import parse_captions

KIND: Final = TaskKind.CAPTIONS
AUTO: Final = "auto"
UNDETERMINED: Final = "und"
"""BCP 47's "undetermined": the language of an ``auto`` track until the recognizer tells."""

WHISPER_LANGUAGES: Final = frozenset(
    [
        "af",
        "am",
        "ar",
        "as",
        "az",
        "ba",
        "be",
        "bg",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fo",
        "fr",
        "gl",
        "gu",
        "ha",
        "haw",
        "he",
        "hi",
        "hr",
        "ht",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "jw",
        "ka",
        "kk",
        "km",
        "kn",
        "ko",
        "la",
        "lb",
        "ln",
        "lo",
        "lt",
        "lv",
        "mg",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "ne",
        "nl",
        "nn",
        "no",
        "oc",
        "pa",
        "pl",
        "ps",
        "pt",
        "ro",
        "ru",
        "sa",
        "sd",
        "si",
        "sk",
        "sl",
        "sn",
        "so",
        "sq",
        "sr",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "tk",
        "tl",
        "tr",
        "tt",
        "uk",
        "ur",
        "uz",
        "vi",
        "yi",
        "yo",
        "zh",
        "yue",
    ]
)
"""The languages Whisper recognizes (its language tokens)."""


def speech_language(language: str) -> str:
    """The recognizer's language for a request: ``auto``, or the primary subtag of a BCP 47
    tag Whisper knows (``en-US`` -> ``en``); 400 ``unsupported_language`` otherwise."""
    text = (language or "").strip()
    if text.lower() == AUTO:
        return AUTO
    primary = language_tag(text).split("-")[0]
    if primary not in WHISPER_LANGUAGES:
        raise InvalidInput(
            f"captions cannot be generated in {text!r}: the recognizer knows "
            "the Whisper languages (en, fr, de, ...) or auto",
            code="unsupported_language",
        )
    return primary


def language_part(language: str) -> int:
    """The task ``part`` of a speech language: 0 for ``auto``, else its letters as bytes."""
    if language == AUTO:
        return 0
    return int.from_bytes(language.encode("ascii"), "big")


def part_language(part: int) -> str:
    if part == 0:
        return AUTO
    return part.to_bytes((part.bit_length() + 7) // 8, "big").decode("ascii")


def asked_language(track: TextTrack) -> str:
    """The speech language a generated track was asked in (``auto`` while undetermined,
    or when the recognizer chose it: the detected language is the track's own)."""
    if track.language == UNDETERMINED:
        return AUTO
    if track.detected_language is not None and track.detected_language == track.language:
        return AUTO
    return track.language.split("-")[0]


class CaptionGeneration:
    def __init__(self, captions: Captions) -> None:
        self.captions = captions
        self.videos = captions.videos

    def check(self, language: str) -> str:
        """The speech language of a request, before anything is made (400 with a code)."""
        return speech_language(language)

    def request(
        self,
        video: Video,
        language: str,
        *,
        name: str | None = None,
        passthrough: str | None = None,
    ) -> TextTrack:
        """A generated track of ``video`` in ``language`` (``auto`` or a Whisper language):
        the one preparing or ready, else a new ``preparing`` one, its task dispatched once
        the video is ready. 400 ``no_audio`` when the video is known to have no sound."""
        speech = speech_language(language)
        if video.video_codec is not None and video.audio_codec is None and video.source_key:
            raise InvalidInput("the video has no audio to caption", code="no_audio")
        for track in self.tracks(video.id, speech):
            if track.status in (PREPARING, READY):
                return track
        tag = UNDETERMINED if speech == AUTO else language_tag(language)
        track = self.captions.create_pending(
            video, language=tag, name=name, generated=True, passthrough=passthrough
        )
        self.advance(video.id)
        return track

    def tracks(self, video_id: str, speech: str) -> list[TextTrack]:
        """The video's generated tracks asked in ``speech``, oldest first."""
        return [
            t
            for t in self.captions.of_video(video_id)
            if t.generated and asked_language(t) == speech
        ]

    def advance(self, video_id: str) -> list[str]:
        """Dispatch the task of every language with a preparing generated track, once the
        video is ready (idempotent: a row pending or at work is left alone). The languages
        dispatched."""
        preparing = {
            asked_language(t)
            for t in self.captions.of_video(video_id)
            if t.generated and t.status == PREPARING
        }
        if not preparing:
            return []
        video = self.videos.find(video_id)
        if not present(video) or video.state is not VideoState.READY:
            return []
        return [s for s in sorted(preparing) if self._dispatch(video_id, language_part(s))]

    def _dispatch(self, video_id: str, part: int) -> bool:
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

    def preparing(self, video_id: str, part: int) -> TextTrack | None:
        """The track a ``captions`` task of ``part`` fills (None: deleted meanwhile)."""
        speech = part_language(part)
        found = [t for t in self.tracks(video_id, speech) if t.status == PREPARING]
        return found[-1] if found else None

    def complete(
        self, video_id: str, track: TextTrack, vtt: str, *, speech: str, detected: str
    ) -> TextTrack:
        """The recognizer's WebVTT into the track: for ``auto`` its language becomes the
        detected one; otherwise ``detected_language`` says so when it differs."""
        if speech == AUTO:
            return self.captions.complete(
                video_id, track.id, vtt, detected_language=detected, language=detected
            )
        return self.captions.complete(video_id, track.id, vtt, detected_language=detected)

    def transcript(self, video_id: str, track_id: str) -> str:
        """A ready track's text as plain text: each cue's words on a line, markup removed
        (any track: uploaded ones too). 409 ``not_ready`` while it is preparing."""
        return parse_captions(self.captions.vtt_text(video_id, track_id).encode()).plain_text()

    def failed(self, video_id: str, part: int, code: str, message: str) -> None:
        """The task failed: the track it was filling is ``errored`` with the code."""
        track = self.preparing(video_id, part)
        if track is not None:
            self.captions.fail(video_id, track.id, code, message)


__all__ = ["ERRORED", "CaptionGeneration", "language_part", "part_language", "speech_language"]
