"""Captions: text tracks of videos (issue 22, ADR 0068). Installs the one service every
surface (vidhost's ``/api/videos/{id}/captions``, Mux's text tracks, Cloudflare's
``captions``) and the speech recognizer use; the native routes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vidhost.adapters.db.text_tracks import SqlTextTrackStore
from vidhost.app.container import Container
from vidhost.app.feature import Feature
from vidhost.core.caption_generation import CaptionGeneration
from vidhost.core.captions import Captions
from vidhost.delivery.captions.pulls import CaptionPulls

if TYPE_CHECKING:
    from fastapi import APIRouter


def install(c: Container) -> None:
    c.captions = Captions(c.videos, SqlTextTrackStore(c.repo), c.storage, c.plans.get)
    c.caption_generation = CaptionGeneration(c.captions)
    s = c.settings
    c.caption_pulls = CaptionPulls(c.captions, c.url_fetcher, s.tmp_dir, s.mux_pull_timeout)


def routers() -> Sequence[APIRouter]:
    from vidhost.delivery.captions import generate, routes

    return (routes.router, generate.router)


FEATURE = Feature("captions", install=install, routers=routers)
