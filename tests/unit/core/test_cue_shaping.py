"""Cue shaping (issue 22): ≤ 2 lines, ≤ 42 characters a line, shown 1 to 7 s, in order."""

from __future__ import annotations

import itertools

from vidhost.core.cue_shaping import (
    MAX_LINE_CHARS,
    MAX_SECONDS,
    MIN_SECONDS,
    Cue,
    Word,
    break_lines,
    shape_cues,
    spread_words,
    timestamp,
    to_webvtt,
    transcript,
)

TEXT = (
    "The quick brown fox jumps over the lazy dog while the farmer watches from the old "
    "wooden fence and wonders whether the rain will come before the harvest is in"
)


def steady(text: str, *, start: float = 0.0, per_word: float = 0.35) -> list[Word]:
    return [
        Word(start + i * per_word, start + (i + 1) * per_word - 0.05, w)
        for i, w in enumerate(text.split())
    ]


def assert_readable(cues: list[Cue]) -> None:
    assert cues
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2, cue
        assert all(0 < len(line) <= MAX_LINE_CHARS for line in cue.lines), cue
        assert MIN_SECONDS - 1e-6 <= cue.end - cue.start <= MAX_SECONDS + 1e-6, cue
    for a, b in itertools.pairwise(cues):
        assert a.end <= b.start + 1e-6, (a, b)


def test_long_speech_is_cut_into_readable_cues_keeping_every_word_in_order() -> None:
    cues = shape_cues(steady(TEXT))
    assert_readable(cues)
    assert len(cues) >= 2  # 150 characters: more than one cue's 84
    assert " ".join(" ".join(c.lines) for c in cues).split() == TEXT.split()


def test_two_lines_are_balanced() -> None:
    lines = break_lines(
        ("one two three four five six seven eight nine ten eleven twelve " * 1).split()
    )
    assert lines is not None and len(lines) == 2
    assert abs(len(lines[0]) - len(lines[1])) <= 6
    assert break_lines(["x" * 40, "y" * 41, "z"]) is None  # three lines' worth


def test_a_slow_speaker_never_gets_a_cue_over_seven_seconds() -> None:
    words = steady("one two three four five six seven eight", per_word=2.0)
    cues = shape_cues(words)
    assert_readable(cues)
    assert len(cues) >= 3  # 16 s of speech, at most 7 s a cue


def test_a_pause_starts_a_new_cue() -> None:
    words = [*steady("hello there"), *steady("after the pause", start=5.0)]
    cues = shape_cues(words)
    assert [c.text for c in cues] == ["hello there", "after the pause"]
    assert cues[1].start == 5.0


def test_a_sentence_end_starts_a_new_cue_once_the_cue_was_shown_long_enough() -> None:
    cues = shape_cues(steady("This is the first sentence. And here is a second one."))
    assert [c.text for c in cues] == ["This is the first sentence.", "And here is a second one."]
    # a sentence shown under a second keeps going (no flash)
    assert len(shape_cues(steady("Yes. I agree with that."))) == 1


def test_a_short_cue_is_held_for_one_second_and_the_next_moves_no_earlier() -> None:
    words = [Word(0.0, 0.3, "Hi."), Word(1.5, 1.8, "Okay"), Word(1.8, 2.0, "then.")]
    cues = shape_cues(words)
    assert_readable(cues)
    assert cues[0] == Cue(0.0, 1.0, ("Hi.",))
    assert cues[1].start == 1.5


def test_a_word_longer_than_a_line_is_cut() -> None:
    cues = shape_cues([Word(0.0, 2.0, "a" * 100)])
    assert_readable(cues)
    assert "".join(" ".join(c.lines) for c in cues).replace(" ", "") == "a" * 100


def test_a_word_lasting_ten_seconds_is_shown_seven() -> None:
    (cue,) = shape_cues([Word(3.0, 13.0, "hmm")])
    assert (cue.start, cue.end) == (3.0, 3.0 + MAX_SECONDS)


def test_phrases_without_word_timings_are_spread_by_length() -> None:
    words = spread_words(10.0, 14.0, "  one   two three ")
    assert [w.text for w in words] == ["one", "two", "three"]
    assert words[0].start == 10.0 and abs(words[-1].end - 14.0) < 1e-9
    assert words[2].end - words[2].start > words[0].end - words[0].start
    assert spread_words(0, 1, "   ") == []


def test_webvtt_and_transcript() -> None:
    cues = [Cue(0.0, 1.5, ("a < b & c",)), Cue(3661.25, 3663.0, ("two", "lines"))]
    vtt = to_webvtt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\na &lt; b &amp; c\n")
    assert "01:01:01.250 --> 01:01:03.000\ntwo\nlines\n" in vtt
    assert transcript(cues) == "a < b & c\ntwo lines\n"
    assert timestamp(-1) == "00:00:00.000"


def test_nothing_in_nothing_out() -> None:
    assert shape_cues([]) == []
    assert shape_cues([Word(0, 1, "  ")]) == []
