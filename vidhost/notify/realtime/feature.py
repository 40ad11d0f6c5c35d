"""Real-time status over WebSockets: the status socket per video, the client socket per
client, and ``/api/events`` per owner, fanned out by one hub from the in-process bus."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.app.container import Container
from vidhost.app.feature import Background, Feature, Job
from vidhost.notify.realtime.client_videos import ClientVideos
from vidhost.notify.realtime.hub import EventHub

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    c.client_videos = ClientVideos(c.engine)
    c.hub = EventHub(c.bus, c.client_videos.client_of)


def background(c: Container) -> Sequence[Background]:
    return [Job(on_stop=c.hub.close)]


def routers() -> Sequence[APIRouter]:
    from vidhost.notify.realtime import client_socket, events_socket, status_stream

    return (status_stream.router, client_socket.router, events_socket.router)


FEATURE = Feature(
    "realtime",
    install=install,
    routers=routers,
    background=background,
)
