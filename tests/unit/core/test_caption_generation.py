"""Generated captions' rules (ADR 0069): the languages asked for, the task part that keys a
language, and which request a generated track answers."""

from __future__ import annotations

import pytest

from vidhost.core.caption_generation import (
    AUTO,
    WHISPER_LANGUAGES,
    asked_language,
    language_part,
    part_language,
    speech_language,
)
from vidhost.core.errors import CodedError
from vidhost.core.text_tracks import TextTrack


def test_every_language_has_its_own_part_and_back() -> None:
    parts = {language_part(code) for code in WHISPER_LANGUAGES}
    assert len(parts) == len(WHISPER_LANGUAGES) and 0 not in parts
    assert all(part_language(language_part(code)) == code for code in WHISPER_LANGUAGES)
    assert language_part(AUTO) == 0 and part_language(0) == AUTO
    assert max(parts) < 2**31  # fits the tasks table's integer part


@pytest.mark.parametrize(
    ("asked", "speech"), [("en", "en"), ("en-US", "en"), ("AUTO", "auto"), ("pt-BR", "pt")]
)
def test_requests_name_a_recognizer_language(asked: str, speech: str) -> None:
    assert speech_language(asked) == speech


@pytest.mark.parametrize(
    ("asked", "code"), [("tlh", "unsupported_language"), ("", "invalid_request")]
)
def test_other_languages_are_refused_with_a_code(asked: str, code: str) -> None:
    with pytest.raises(CodedError) as refused:
        speech_language(asked)
    assert refused.value.code == code


def track(language: str, detected: str | None = None) -> TextTrack:
    return TextTrack(
        id="t" * 32,
        video_id="v",
        language=language,
        name=language,
        generated=True,
        detected_language=detected,
    )


def test_a_track_answers_the_request_it_was_made_for() -> None:
    assert asked_language(track("und")) == AUTO  # auto, still preparing
    assert asked_language(track("fr", detected="fr")) == AUTO  # auto, heard French
    assert asked_language(track("en")) == "en"  # en, heard English
    assert asked_language(track("en", detected="de")) == "en"  # en, heard German
    assert asked_language(track("pt-BR")) == "pt"
