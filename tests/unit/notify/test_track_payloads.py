"""A text track's events as webhooks (ADR 0068): vidhost's ``video.asset.track.*`` body and
Mux's track object, and the ``caption`` message of ``/api/events``."""

from __future__ import annotations

from vidhost.core.text_tracks import CREATED, DELETED, READY, TextTrack, changed_event
from vidhost.core.webhooks import PUBLIC_EVENTS
from vidhost.notify.realtime.events_socket import event_message
from vidhost.notify.webhooks import payload
from vidhost.providers.mux.text_track_views import event_track_view, text_track_view


def track(**kw: object) -> TextTrack:
    values: dict[str, object] = {
        "id": "T" * 32,
        "video_id": "v1",
        "language": "en",
        "name": "English",
    }
    return TextTrack(**{**values, **kw})  # type: ignore[arg-type]


def test_each_change_is_a_public_event_with_the_track() -> None:
    for change in (CREATED, READY, "errored", DELETED):
        event = changed_event("ann", track(status=READY), change)
        event = type(event)(**{**event.__dict__, "id": 7})
        [kind] = payload.public_types(event, first_of_video=False)
        assert kind == f"video.asset.track.{change}" and kind in PUBLIC_EVENTS
        body = payload.build(kind, event, None, "http://x")
        caption = body["data"]["caption"]
        assert body["data"]["id"] == "v1" and caption["language"] == "en"
        assert caption["url"] == f"http://x/api/videos/v1/captions/{'T' * 32}.vtt"
        assert caption["status"] == ("deleted" if change == DELETED else READY)
        message = event_message(event)
        assert message is not None and message["type"] == "caption"
        assert message["change"] == change


def test_mux_shapes() -> None:
    generated = track(generated=True, source="generated", status="errored", error_code="x")
    view = text_track_view(generated)
    assert view["text_source"] == "generated_vod" and view["error"]["type"] == "x"
    assert "passthrough" not in view  # None fields are left out, as Mux does
    data = changed_event("ann", track(passthrough="p"), DELETED).data
    hook = event_track_view("v1", data)
    assert (hook["status"], hook["asset_id"], hook["passthrough"]) == ("deleted", "v1", "p")
    assert hook["text_source"] == "uploaded" and hook["type"] == "text"
