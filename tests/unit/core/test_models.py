"""The domain records' derived values."""

from __future__ import annotations

from vidhost.core.models import UNTITLED, Video


def video(title: str | None = None, filename: str | None = None) -> Video:
    return Video(id="0b5e2a4e-1c1f-4a53", owner="alice", title=title, filename=filename)


def test_the_display_title_is_the_title_else_the_file_name_never_the_id() -> None:
    assert video(title="Ocean at dusk", filename="clip.mp4").display_title == "Ocean at dusk"
    assert video(filename="clip.mp4").display_title == "clip.mp4"
    assert video(title="", filename="").display_title == UNTITLED == "Untitled video"
    assert video().display_title != video().id
