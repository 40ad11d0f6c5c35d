"""``media.remux``'s inputs (ADR 0065, 0094): stored files read in place through ffmpeg's
``concatf`` protocol, in order, and the maps follow which inputs there are."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidhost.media.remux import concat_input, open_files, remux_command


def test_concat_input_lists_the_files_in_order(tmp_path: Path) -> None:
    files = [tmp_path / "a_init.mp4", tmp_path / "a_00000.m4s", tmp_path / "a_00001.m4s"]
    url = concat_input(files, tmp_path / "list.txt")
    assert url == f"concatf:{tmp_path / 'list.txt'}"
    assert (tmp_path / "list.txt").read_text().splitlines() == [str(f) for f in files]
    assert open_files(files, files[:2]) == 3 + 1 + 2 + 1 + 64  # every file open at once


@pytest.mark.parametrize(
    ("video", "audio", "maps"),
    [
        ("concatf:/v.txt", "concatf:/a.txt", ["-map", "0:v:0", "-map", "1:a:0"]),
        (None, "concatf:/a.txt", ["-map", "0:a:0"]),
        (Path("/v.mp4"), None, ["-map", "0:v:0"]),
    ],
)
def test_the_maps_follow_the_inputs(
    video: Path | str | None, audio: Path | str | None, maps: list[str]
) -> None:
    command = remux_command("ffmpeg", video, audio, Path("/out.mp4"))
    inputs = [command[i + 1] for i, arg in enumerate(command) if arg == "-i"]
    assert inputs == [str(i) for i in (video, audio) if i is not None]
    found = [a for i, a in enumerate(command) if a == "-map" or command[i - 1] == "-map"]
    assert found == maps


def test_nothing_to_remux_is_an_error() -> None:
    with pytest.raises(ValueError):
        remux_command("ffmpeg", None, None, Path("/out.mp4"))
