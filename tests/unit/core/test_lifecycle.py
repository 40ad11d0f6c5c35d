from __future__ import annotations

import itertools

import pytest

from vidhost.core.errors import InvalidTransition
from vidhost.core.lifecycle import (
    TERMINAL,
    TRANSITIONS,
    VideoState,
    can_transition,
    sources_of,
    transition,
)
from vidhost.core.models import Video, present

S = VideoState

HAPPY_PATH = [S.CREATED, S.UPLOADING, S.UPLOADED, S.PROCESSING, S.READY]


def test_happy_path_is_allowed_step_by_step() -> None:
    for current, target in itertools.pairwise(HAPPY_PATH):
        assert transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.CREATED, S.READY),
        (S.UPLOADED, S.READY),
        (S.READY, S.PROCESSING),
        (S.FAILED, S.READY),
        (S.DELETED, S.CREATED),
        (S.PROCESSING, S.UPLOADING),
    ],
)
def test_illegal_transitions_raise(current: VideoState, target: VideoState) -> None:
    with pytest.raises(InvalidTransition) as info:
        transition(current, target)
    assert info.value.code == "invalid_transition"
    assert current.value in info.value.message


def test_every_state_has_a_row_and_deleted_is_final() -> None:
    assert set(TRANSITIONS) == set(VideoState)
    assert TRANSITIONS[S.DELETED] == frozenset()
    for state in VideoState:
        if state is not S.DELETED:
            assert can_transition(state, S.DELETED)


def test_failure_is_reachable_from_every_non_terminal_state() -> None:
    for state in set(VideoState) - TERMINAL:
        assert can_transition(state, S.FAILED)


def test_sources_of_is_the_inverse_of_the_table() -> None:
    assert sources_of(S.READY) == {S.PROCESSING}
    assert sources_of(S.PROCESSING) == {S.UPLOADED}
    assert S.DELETED not in sources_of(S.DELETED)


def test_a_ready_video_can_still_fail_but_never_go_back_to_processing() -> None:
    # ADR 0061: ready before every chunk is encoded; a later chunk's media failure fails it.
    assert transition(S.READY, S.FAILED) is S.FAILED
    assert sources_of(S.FAILED) >= {S.PROCESSING, S.READY}
    assert not can_transition(S.FAILED, S.READY)


def test_a_video_is_present_unless_missing_or_deleted() -> None:
    assert not present(None)
    for state in VideoState:
        assert present(Video(id="v", owner="u", state=state)) is (state is not S.DELETED)
