"""Every pipeline task reads its source through ``TaskContext.source_key``."""

from __future__ import annotations

import pytest

from vidhost.core.lifecycle import TaskKind
from vidhost.core.models import Video
from vidhost.media.errors import MediaError
from vidhost.processing.runner import TaskContext


def _ctx(source_key: str | None) -> TaskContext:
    return TaskContext(
        video=Video(id="v", owner="o", source_key=source_key),
        kind=TaskKind.TRANSCODE,
        progress=lambda _: None,
    )


def test_source_key_of_an_uploaded_video() -> None:
    assert _ctx("sources/v/original.mp4").source_key == "sources/v/original.mp4"


def test_no_source_is_a_task_error_with_its_code() -> None:
    with pytest.raises(MediaError) as exc:
        _ctx(None).source_key  # noqa: B018
    assert exc.value.code == "no_source"
