"""The captions service over a real container (SQLite, local storage, ffmpeg): a track added
before the video has a plan reaches the master through the runner's completion hook, the
stored master and MPD follow the ready tracks, and the generate engineer's calls
(``add_generated``, ``create_pending`` + ``complete``/``fail``) behave (ADR 0068)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clips import make_clip
from tests.integration.helpers import container, run_transcode, upload
from vidhost.core import layout
from vidhost.core.errors import CodedError
from vidhost.core.lifecycle import TaskStatus
from vidhost.core.models import TEXT_TRACK_CHANGED

VTT = b"WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nOne <script>x</script>\n"


def master(c, video_id: str) -> str:
    return c.storage.get_bytes(layout.master_key(video_id)).decode()


def test_tracks_before_and_after_the_plan_and_the_generated_calls(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=3.0, width=320, height=240)
    with container(tmp_path / "data") as c:
        video_id = upload(c, clip)
        video = c.videos.get(video_id)
        early = c.captions.add_uploaded(video, VTT, language="EN", name="English")
        assert (early.language, early.status, early.cues) == ("en", "ready", 1)
        stored = c.storage.get_bytes(layout.text_key(video_id, early.id)).decode()
        assert "script" not in stored and "One" in stored
        assert c.captions.publish(video_id) is False  # no plan yet: nothing to write

        assert run_transcode(c, video_id) is TaskStatus.COMPLETED
        text = master(c, video_id)  # the completion hook published it
        assert f'URI="subs-{early.id}.m3u8"' in text and 'SUBTITLES="subs"' in text
        etag = c.storage.stat(layout.master_key(video_id)).etag
        assert c.captions.publish(video_id) is False  # unchanged: not rewritten
        assert c.storage.stat(layout.master_key(video_id)).etag == etag

        generated = c.captions.add_generated(
            video_id, "en", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n", "fr"
        )
        assert (generated.generated, generated.source, generated.detected_language) == (
            True,
            "generated",
            "fr",
        )
        assert master(c, video_id).count("TYPE=SUBTITLES") == 2
        mpd = c.storage.get_bytes(layout.dash_key(video_id)).decode()
        assert mpd.count('contentType="text"') == 2

        pending = c.captions.create_pending(video, language="de", generated=True)
        assert pending.status == "preparing"
        assert f"subs-{pending.id}" not in master(c, video_id)  # only ready tracks
        with pytest.raises(CodedError) as refused:
            c.captions.complete(video_id, pending.id, "not a caption file")
        assert refused.value.code == "unsupported_caption_format"
        failed = c.captions.get(video_id, pending.id)
        assert (failed.status, failed.error_code) == ("errored", "unsupported_caption_format")
        other = c.captions.create_pending(video, language="it", generated=True)
        assert c.captions.fail(video_id, other.id, "no_speech", "silence")
        assert c.captions.get(video_id, other.id).error_code == "no_speech"

        c.captions.delete(video, early.id)
        assert f"subs-{early.id}" not in master(c, video_id)
        with pytest.raises(FileNotFoundError):
            c.storage.stat(layout.text_key(video_id, early.id))
        with pytest.raises(CodedError) as gone:
            c.captions.get(video_id, early.id)
        assert gone.value.code == "track_not_found"

        changes = [
            (e.data["id"], e.data["change"])
            for e in c.repo.events_after(0, limit=1000)
            if e.type == TEXT_TRACK_CHANGED
        ]
        assert changes[:2] == [(early.id, "created"), (early.id, "ready")]
        assert (pending.id, "errored") in changes and (early.id, "deleted") in changes
