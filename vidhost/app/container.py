"""The ``Container`` type: everything a vidhost process uses, built once by
``vidhost.app.wiring.build_container`` (ADR 0074, ADR 0076).

This module is the type only. It imports the types of the services it holds (feature
services under ``TYPE_CHECKING``) and never the builder, the features or a route: routes and
feature modules import it, so anything it imported at run time that imported them back
would be an import circle (``tests/unit/architecture/test_import_graph.py``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from celery import Celery
from sqlalchemy import Engine

from vidhost.adapters.db.repository import SqlRepository
from vidhost.adapters.net.url_guard import UrlGuard
from vidhost.adapters.storage.signed_urls import UrlSigner
from vidhost.app.settings import Settings, public_base_url
from vidhost.core.ingest import SourceWay
from vidhost.core.lifecycle import TaskKind
from vidhost.core.ports import PresignedDownloads, Storage, StorageCapabilities, UrlFetcher
from vidhost.core.videos import VideoService
from vidhost.delivery.playback_tokens import PlaybackTokens
from vidhost.notify.events.memory import InMemoryBus
from vidhost.processing import handlers
from vidhost.processing.broker.queue import CeleryJobQueue
from vidhost.processing.sweepers import Sweeper

if TYPE_CHECKING:
    from vidhost.core.caption_generation import CaptionGeneration
    from vidhost.core.captions import Captions
    from vidhost.core.downloads import StaticRenditions
    from vidhost.core.originals import OriginalLinks
    from vidhost.core.thumbnails import Renderer
    from vidhost.core.webhook_store import WebhookStore
    from vidhost.delivery.captions.pulls import CaptionPulls
    from vidhost.delivery.posts.service import PostService
    from vidhost.http.on_demand import SegmentWaiters
    from vidhost.ingest.clips.service import ClipService
    from vidhost.ingest.presigned.service import DirectUploads
    from vidhost.ingest.tus.service import UploadService
    from vidhost.notify.realtime.client_videos import ClientVideos
    from vidhost.notify.realtime.hub import EventHub
    from vidhost.notify.webhooks.formats import WebhookFormats
    from vidhost.processing.plans import PlanCache
    from vidhost.processing.runner import Handler, TaskRunner
    from vidhost.processing.transcode import LadderProgress, TranscodeConfig
    from vidhost.providers.mux.access_tokens import AccessTokens
    from vidhost.providers.mux.master_access import MasterAccess
    from vidhost.providers.mux.service import MuxService
    from vidhost.providers.mux.store import SqlMuxStore
    from vidhost.web.signin_codes import SignInCodes


@dataclass
class Container:
    """Everything a vidhost process uses, built once by ``build_container``: the core (fields
    set here) and what each feature installs (``init=False`` fields, named after it)."""

    settings: Settings
    engine: Engine
    repo: SqlRepository
    storage: Storage
    bus: InMemoryBus
    celery: Celery
    videos: VideoService
    downloads: PresignedDownloads | None
    """Pre-signed GETs, when the storage backend can sign them (S3)."""
    storage_capabilities: StorageCapabilities
    playback: PlaybackTokens
    """Signing keys and playback tokens (vidhost.core.access asks it to verify tokens)."""
    worker: bool = False
    """This process runs tasks (``vidhost worker``, or a test that does)."""
    sweepers: list[Sweeper] = field(default_factory=list)
    """Cleanup sweepers, run by ``vidhost cleanup`` and periodically by ``serve``."""
    ingest_ways: dict[str, SourceWay] = field(default_factory=dict)
    """How the server makes sources itself, by ``way`` (the clips feature ``clip``, Mux
    ``pull``): the ``ingest`` task runs them (ADR 0094)."""
    url_guard: UrlGuard = field(default_factory=UrlGuard)
    """Checks URLs users give the server to fetch (webhook endpoints), see ``make_url_guard``."""
    url_fetcher: UrlFetcher = field(init=False, repr=False)
    """Downloads such URLs through ``url_guard`` (Mux's URL pulls), see ``build_core``."""
    queue: CeleryJobQueue = field(init=False, repr=False)
    """The broker queue the video service dispatches to (the reconciler also asks its depth)."""
    url_signer: UrlSigner = field(init=False, repr=False)
    """Signs the capability URLs vidhost serves itself (local signed PUTs, the Cloudflare
    form-upload and tus URLs), with a key derived from the server secret."""
    # --- installed by the features (vidhost/features/<name>.py) --------------------------
    direct: DirectUploads = field(init=False, repr=False)
    """``direct_uploads``: pre-signed URLs and multipart, see ``make_direct_uploads``."""
    uploads: UploadService = field(init=False, repr=False)
    """``resumable``: tus and upload sessions, see ``make_upload_service``."""
    clips: ClipService = field(init=False, repr=False)
    """``clips``: new videos cut from ready ones (every surface's clips, ADR 0067)."""
    posts: PostService = field(init=False, repr=False)
    """``posts``: ``/api/posts``."""
    plans: PlanCache = field(init=False, repr=False)
    """``videos``: segment plans of ready videos, kept a minute (on-demand segments)."""
    segment_waiters: SegmentWaiters = field(init=False, repr=False)
    """``videos``: the held requests for segments not stored yet (one future per key)."""
    renderer: Renderer = field(init=False, repr=False)
    """``thumbnails``: on-demand stills, storyboards, previews (one render gate per process)."""
    originals: OriginalLinks = field(init=False, repr=False)
    """``originals``: signed links to a video's original upload (ADR 0093)."""
    client_videos: ClientVideos = field(init=False, repr=False)
    """``realtime``: a video's client (``/ws/{client_id}``), for the socket replay and the hub."""
    hub: EventHub = field(init=False, repr=False)
    """``realtime``: WebSocket fan-out of the bus's events."""
    webhook_store: WebhookStore = field(init=False, repr=False)
    """``webhooks``: endpoints, outbox and delivery log."""
    webhook_wake: threading.Event = field(init=False, repr=False)
    """``webhooks``: set it and the dispatcher looks at the outbox now (a resend)."""
    sign_in_codes: SignInCodes | None = field(init=False, repr=False, default=None)
    """``web``: one-time sign-in codes (embedded profile only)."""
    mux_store: SqlMuxStore = field(init=False, repr=False)
    """``mux``: Mux uploads, playback IDs and access tokens (rows)."""
    mux: MuxService = field(init=False, repr=False)
    """``mux``: the Mux Video surface's use cases over vidhost videos."""
    access_tokens: AccessTokens = field(init=False, repr=False)
    """``mux``: Basic-auth access tokens (hashed secrets)."""
    static_renditions: StaticRenditions = field(init=False, repr=False)
    """``downloads``: static renditions (MP4/M4A downloads) of every surface (ADR 0065)."""
    captions: Captions = field(init=False, repr=False)
    """``captions``: text tracks of every surface, uploaded and generated (ADR 0068)."""
    caption_generation: CaptionGeneration = field(init=False, repr=False)
    """``captions``: captions generated from speech, once per video and language (ADR 0069)."""
    caption_pulls: CaptionPulls = field(init=False, repr=False)
    """``captions``: text tracks pulled from URLs (Mux's tracks and text inputs)."""
    mux_master: MasterAccess = field(init=False, repr=False)
    """``mux``: ``master_access`` / ``master`` over the original (ADR 0093)."""
    webhook_formats: WebhookFormats = field(init=False, repr=False)
    """``webhooks``: the body and signature formats this process serves (API surfaces add
    theirs in their own ``install``)."""
    _jwt_secret: str | None = field(default=None, init=False, repr=False)

    def jwt_secret(self) -> str:
        """The token secret, read once (it never changes while the process runs)."""
        if self._jwt_secret is None:
            self._jwt_secret = self.settings.resolved_jwt_secret()
        return self._jwt_secret

    def base_url(self) -> str:
        """Where links the server hands out point (webhook payloads, the sign-in link)."""
        return public_base_url(self.settings)

    def transcode_config(self) -> TranscodeConfig:
        """The transcode settings every task handler of this process uses."""
        return handlers.transcode_config(self.settings, self.storage_capabilities)

    def handlers(self, ladder: LadderProgress | None = None) -> dict[TaskKind, Handler]:
        """The task handlers a worker runs (``vidhost.processing.handlers``)."""
        return handlers.make_handlers(
            self.settings,
            self.videos,
            self.repo,
            self.storage,
            self.storage_capabilities,
            ladder,
            self._statics(),
            getattr(self, "caption_generation", None),
            self.ingest_ways,
            getattr(self, "caption_pulls", None),
        )

    def task_runner(self) -> TaskRunner:
        return handlers.make_task_runner(
            self.settings,
            self.videos,
            self.repo,
            self.storage,
            self.storage_capabilities,
            self._statics(),
            getattr(self, "captions", None),
            getattr(self, "caption_generation", None),
            self.ingest_ways,
            getattr(self, "caption_pulls", None),
        )

    def _statics(self) -> StaticRenditions | None:
        """The static renditions service, when the ``downloads`` feature is installed (a
        container built with fewer features runs no ``static_rendition`` task)."""
        return getattr(self, "static_renditions", None)

    def close(self) -> None:
        self.engine.dispose()
