"""The captions service over a real container (SQLite, local storage, ffmpeg): a track added
before the video has a plan reaches the master through the runner's completion hook, the
stored master and MPD follow the ready tracks, and the generate engineer's calls
(``add_generated``, ``create_pending`` + ``complete``/``fail``) behave (ADR 0068)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.clips import make_audio, make_clip
from tests.integration.helpers import container, run_transcode, upload
from vidhost.adapters.db.tables import text_tracks
from vidhost.core import layout
from vidhost.core.errors import CodedError
from vidhost.core.lifecycle import TaskStatus
from vidhost.core.masters import stored_measured
from vidhost.core.models import TEXT_TRACK_CHANGED
from vidhost.core.segments import variant_rates

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


class CountingStorage:
    """The container's own storage, counting its listings (a publish should read none)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.listed: list[str] = []

    def list(self, prefix: str = "") -> Any:
        self.listed.append(prefix)
        return self.inner.list(prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def variant_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]


def test_a_track_added_before_the_ladder_keeps_its_group_and_the_measured_rates(
    tmp_path: Path,
) -> None:
    """The ladder's last part writes the measured master through the one writer: its text
    tracks stay (ADR 0045, 0068); a later publish keeps the measured rates, read from the
    video's renditions (the MPD's own peaks from one listing of the whole ladder)."""
    clip = make_clip(tmp_path / "clip.mp4", duration=3.0, width=320, height=240)
    with container(tmp_path / "data", ladder_heights=[240, 120]) as c:
        video_id = upload(c, clip)
        early = c.captions.add_uploaded(c.videos.get(video_id), VTT, language="en")
        assert run_transcode(c, video_id) is TaskStatus.COMPLETED
        renditions = c.videos.get(video_id).renditions
        assert len(renditions) == 2 and all(r.measured for r in renditions)
        plan = c.plans.get(video_id)
        assert plan is not None
        planned = variant_rates(plan, {})
        assert all(
            (r.average_bitrate, r.peak_bitrate) != (planned[r.name].average, planned[r.name].peak)
            for r in renditions
        )  # the figures are the measured ones, not the plan's
        text = master(c, video_id)
        variants = variant_lines(text)
        assert len(variants) == 2 and all('SUBTITLES="subs"' in v for v in variants)
        assert f'URI="subs-{early.id}.m3u8"' in text
        for r in renditions:
            assert f"BANDWIDTH={r.peak_bitrate},AVERAGE-BANDWIDTH={r.average_bitrate}," in text

        counting = CountingStorage(c.captions.storage)
        c.captions.storage = counting
        later = c.captions.add_uploaded(c.videos.get(video_id), VTT, language="fr")
        text = master(c, video_id)
        assert text.count("TYPE=SUBTITLES") == 2 and f"subs-{later.id}.m3u8" in text
        for r in renditions:
            assert f"BANDWIDTH={r.peak_bitrate},AVERAGE-BANDWIDTH={r.average_bitrate}," in text
        # The master's rates come from the renditions; only the MPD's per-representation
        # peaks (a variant's figure is the rung's and the audio's sum) take one listing, and
        # only once the whole ladder is measured (none per part while it encodes).
        assert counting.listed == ([layout.hls_prefix(video_id)] if plan.cmaf else [])
        if plan.cmaf:  # the MPD written for the track keeps each representation's own peak
            mpd = c.storage.get_bytes(layout.dash_key(video_id)).decode()
            own = stored_measured(c.storage, video_id, plan)
            for r in renditions:
                assert f'id="{r.name}"' in mpd
                assert f'bandwidth="{own[r.name].peak}"' in mpd, (r.name, mpd)


def test_an_audio_only_master_keeps_its_track_and_measured_rate(tmp_path: Path) -> None:
    """An audio-only video has no rendition to carry its measured rate: the master written
    for a track measures its stored segments (ADR 0066)."""
    audio = make_audio(tmp_path / "tone.m4a", duration=3.0)
    with container(tmp_path / "data") as c:
        video_id = upload(c, audio)
        c.captions.add_uploaded(c.videos.get(video_id), VTT, language="en")
        assert run_transcode(c, video_id) is TaskStatus.COMPLETED
        plan = c.plans.get(video_id)
        assert plan is not None and plan.audio_only
        planned = variant_rates(plan, {})[layout.AUDIO_RENDITION]
        measured = variant_rates(plan, stored_measured(c.storage, video_id, plan))
        rates = measured[layout.AUDIO_RENDITION]
        assert rates != planned
        later = c.captions.add_uploaded(c.videos.get(video_id), VTT, language="de")
        text = master(c, video_id)
        assert text.count("TYPE=SUBTITLES") == 2 and f"subs-{later.id}.m3u8" in text
        (variant,) = variant_lines(text)
        assert f"BANDWIDTH={rates.peak},AVERAGE-BANDWIDTH={rates.average}," in variant
        assert 'SUBTITLES="subs"' in variant


def test_deleting_the_video_removes_its_track_rows_and_files(tmp_path: Path) -> None:
    """Issue 22: a deleted video's text tracks go with it, rows and stored files; another
    video's track stays."""
    clip = make_clip(tmp_path / "clip.mp4", duration=2.0, width=160, height=120)
    with container(tmp_path / "data") as c:
        video_id, other_id = upload(c, clip), upload(c, clip)
        video = c.videos.get(video_id)
        ready = c.captions.add_uploaded(video, VTT, language="en")
        pending = c.captions.create_pending(video, language="fr", generated=True)
        kept = c.captions.add_uploaded(c.videos.get(other_id), VTT, language="en")
        assert c.storage.stat(layout.text_key(video_id, ready.id)).size > 0

        c.videos.delete(video_id)
        with c.engine.connect() as conn:
            rows = conn.execute(
                select(text_tracks.c.id).where(text_tracks.c.video_id == video_id)
            ).all()
        assert rows == []
        assert list(c.storage.list(layout.video_prefix(video_id))) == []
        with pytest.raises(FileNotFoundError):
            c.storage.stat(layout.text_key(video_id, ready.id))
        assert c.captions.store.get(video_id, pending.id) is None
        assert [t.id for t in c.captions.of_video(other_id)] == [kept.id]
        assert c.storage.stat(layout.text_key(other_id, kept.id)).size > 0
