"""Runtime settings, read from the environment with the ``VIDHOST_`` prefix."""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


def default_data_dir() -> Path:
    """The data dir when none is given: one per user, wherever the command runs
    (``$XDG_DATA_HOME/vidhost``, else ``~/.local/share/vidhost``), so that ``serve`` and the
    commands run beside it (``token``, ``access-token``, ``cleanup``) find the same one."""
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "vidhost"


class Settings(BaseSettings):
    """Every knob vidhost has. Defaults give the embedded profile (no other service)."""

    model_config = SettingsConfigDict(env_prefix="VIDHOST_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    """Database, storage, broker and temporary files of the embedded profile."""
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    """Base URL clients reach this server at; defaults to the request's own base URL."""

    database_url: str | None = None
    """SQLAlchemy URL. Default: SQLite file ``vidhost.db`` in the data dir."""

    storage: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("VIDHOST_S3_ENDPOINT_URL", "S3_ENDPOINT_URL")
    )
    """S3 API endpoint (MinIO, SeaweedFS, R2 ...); unset means AWS."""
    s3_public_endpoint_url: str | None = None
    """Endpoint written into pre-signed URLs when clients reach the store by another name."""
    s3_bucket: str = Field(
        default="vidhost", validation_alias=AliasChoices("VIDHOST_S3_BUCKET", "S3_BUCKET_NAME")
    )
    s3_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("VIDHOST_S3_REGION", "AWS_REGION")
    )
    s3_access_key_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VIDHOST_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
    )
    s3_secret_access_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VIDHOST_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
    )
    s3_stream_mode: Literal["proxy", "redirect"] = "proxy"
    """``proxy``: vidhost streams the bytes; ``redirect``: 302 to a short-lived pre-signed GET."""
    s3_redirect_ttl: int = 300
    upload_url_ttl: int = Field(default=3600, ge=1)
    """Seconds a pre-signed upload URL (or part URL) stays valid."""
    upload_watch_interval: float = 2.0
    """Seconds between checks for direct uploads that have landed in storage."""
    abandoned_after: float = 86400.0
    """Records initialised but never uploaded are removed after this many seconds."""
    multipart_threshold: int = 64 * MIB
    """Declared sizes above this get an S3 multipart upload with pre-signed part URLs."""
    multipart_part_size: int = Field(default=16 * MIB, ge=1)
    """Part size for multipart uploads (S3 requires >= 5 MiB for all but the last part)."""

    broker_url: str | None = None
    """Celery broker. Default: server-less SQLAlchemy transport on ``broker.db`` in the data dir."""
    queue: str = "vidhost"
    """Celery queue name (lets several deployments share one broker)."""
    embedded_worker: bool = True
    """``vidhost serve`` starts and supervises a worker process itself."""
    worker_concurrency: int = 3
    """Tasks a worker runs at once. One more than the cores of a small host: an analysis or
    an enhancement holding a slot does not hold back the start of a ladder, and the work
    nobody waits for runs at the lowest CPU priority (ADR 0062)."""

    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    """Origins allowed to call the API from a browser (players, upload widgets)."""

    auth: Literal["jwt", "none"] = "jwt"
    jwt_secret: str | None = None
    """HS256 secret. Default: generated once and kept in ``jwt_secret`` in the data dir."""
    default_user: str = Field(
        default="anonymous",
        min_length=1,
        max_length=200,
        validation_alias=AliasChoices("VIDHOST_DEFAULT_USER", "VIDHOST_ANONYMOUS_USER"),
    )
    """The embedded profile's one user: whom ``serve``'s sign-in link signs in, whom
    ``vidhost token`` and ``vidhost access-token create`` are for without ``--user``, and the
    owner of every request with ``auth=none``. ``VIDHOST_ANONYMOUS_USER`` is its old name."""

    max_upload_bytes: int = 500 * MIB
    segment_seconds: float = 4.0
    opening_segments: list[float] = Field(default_factory=lambda: [1.0, 1.0, 2.0])
    """Lengths of the first segments, each its own chunk (ADR 0063): short, so whatever rung
    a player starts on is stored, or made, in a moment. Those not shorter than
    ``segment_seconds`` are left out; ``[]``: every segment ``segment_seconds`` long."""
    chunk_seconds: float = 12.0
    """Length of one transcode chunk task (whole segments; ADR 0060)."""
    first_chunk_seconds: float | None = None
    """Length of the first chunk. Default: one segment, so the start is fast."""
    segment_wait_seconds: float = Field(default=60.0, ge=0)
    """How long a request for a segment not stored yet (a ready video's later chunk) is
    held, its chunk encoded next, before ``503 segment_not_ready`` with ``Retry-After`` (ADR
    0064). The response starts the moment the segment is stored; a player whose own time to
    first byte is shorter (hls.js: 10 s) retries and joins the same wait."""
    ladder_heights: list[int] = Field(default_factory=lambda: [1080, 720, 480, 360, 240])
    """The rungs' short sides. Rungs above ``max_resolution`` are left out."""
    max_resolution: int = Field(default=1080, ge=144, le=4320)
    """The highest rung this server encodes (short side; ``1080``, ``1440p``, ``2160p``...).
    Above 1080 it adds the 1440p and 2160p rungs (issue 23) for sources that large. A native
    upload gets this; a Mux asset its ``max_resolution_tier`` (default ``1080p``, as Mux),
    never above this."""
    segment_format: Literal["cmaf", "ts"] = "cmaf"
    """Packaging of new videos (ADR 0063): ``cmaf`` (fragmented MP4 with an init segment,
    HLS and DASH from the same segments) or ``ts`` (MPEG-TS, HLS only, for players older than
    iOS 10). Videos keep the packaging they were planned with."""
    x264_preset: str = "veryfast"
    quality_target: float = Field(default=95.0, ge=50, le=99)
    """The VMAF the top rung of a ``plus`` video aims at (ADR 0046; ``premium`` aims 2 points
    higher); each rung is encoded at the CRF a probe of its chunk finds, under its cap."""
    video_quality: Literal["basic", "plus", "premium"] = "basic"
    """The tier of a native upload that names none (``video_quality`` field)."""
    ffmpeg: str | None = None
    """Path of the ffmpeg binary. Default: the one shipped in the imageio-ffmpeg wheel."""
    ffmpeg_timeout: float = 3600.0
    """Seconds after which an ffmpeg run is killed and its task fails."""
    strict_decode: bool = True
    """Fail a video whose source has decode errors (ffmpeg ``-xerror``) instead of concealing."""
    task_heartbeat_interval: float = Field(default=1.0, gt=0)
    """Seconds between the heartbeats of a running task (ADR 0073)."""
    task_stale_after: float = Field(default=5.0, gt=0)
    """A processing task whose heartbeat is older than this has lost its holder: another
    worker takes it over (a redelivered message, or the reconciler's). At least twice the
    heartbeat interval."""
    reconcile_interval: float = Field(default=2.0, gt=0)
    """Seconds between the reconciler's passes (each API node; ADR 0073): it re-sends only
    tasks that no message can still reach."""
    cleanup_interval: float = 600.0
    """Seconds between periodic cleanup passes in ``serve``."""

    @field_validator("max_resolution", mode="before")
    @classmethod
    def _resolution_name(cls, value: object) -> object:
        """``2160p`` as well as ``2160``."""
        if isinstance(value, str) and value.strip().lower().endswith("p"):
            return value.strip()[:-1]
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _strong_secret(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) < 32:
            raise ValueError("VIDHOST_JWT_SECRET must be at least 32 bytes (HS256)")
        return value

    # Processing (metadata extraction, enhancement) ----------------------------------------
    enhance: Literal["request", "always", "off"] = "request"
    """``always``: every upload is enhanced; ``request``: only videos whose
    ``enhance`` option names a preset; ``off``: never."""
    enhance_preset: str = "default"
    """Preset (``name[:key=value,...]``) used when ``enhance=always`` and a video names none."""
    enhance_feeds_ladder: bool = False
    """The HLS ladder is cut from the enhanced file (the transcode waits for enhancement)."""
    enhance_crf: int = 18
    analysis_max_samples: int = 120
    """Keyframes sampled at most for a long video's colour histograms."""
    analysis_full_decode_max_frames: int = 300
    """Clips with at most this many frames have every frame analysed."""
    quality_measurement: bool = True
    """Once the ladder is stored, score each rung against the source with VMAF (libvmaf)
    at background priority (ADR 0045); off: the renditions' ``vmaf`` stays null."""
    quality_windows: int = Field(default=3, ge=1, le=50)
    """Windows of the video VMAF scores (one segment's start each, spread over it); more:
    closer to a full measurement, at a higher cost."""
    quality_window_seconds: float = Field(default=2.0, gt=0, le=60)
    """The most of its segment a window scores."""
    quality_subsample: int = Field(default=3, ge=1, le=30)
    """libvmaf's ``n_subsample``: every n-th frame of a scored segment is scored."""

    # Generated captions (speech recognition, ADR 0069) ------------------------------------
    captions_model: str = "base"
    """``base``: the Whisper base model vidhost's packages ship (joined into
    ``<data dir>/models/`` on first use), or the folder of another CTranslate2 Whisper model
    (``model.bin``, ``config.json``, ``tokenizer.json``), e.g. Whisper small."""
    captions_threads: int = Field(default=2, ge=1)
    """CPU threads of one recognizer run."""
    captions_beam_size: int = Field(default=1, ge=1, le=10)
    """Beam search width (1: greedy, the fastest; 5: Whisper's default, a little better)."""
    captions_memory_mb: int = Field(default=1536, ge=512)
    """Address space of the recognizer's child process."""

    # Resumable uploads (tus + upload sessions) --------------------------------------------
    tus_max_size: int | None = None
    """Largest ``Upload-Length`` accepted. Default: ``max_upload_bytes``."""
    upload_expiry_seconds: float = 86400.0
    """An incomplete resumable upload expires this long after its creation."""
    chunk_size: int = 5 * MIB
    """Chunk size suggested to clients by ``POST /api/v1/videos/upload/init``."""
    max_duration_seconds: float | None = 21600.0
    """Longest accepted video (probed duration, 6 h); ``None``: no limit."""
    upload_lock_seconds: float = 30.0
    """Lifetime of an upload's write lock; renewed while a request writes."""
    upload_part_size: int = Field(default=16 * MIB, ge=5 * MIB)
    """S3 upload store: PATCH bodies become multipart parts of this size (>= 5 MiB); a
    request buffers at most one part plus under 5 MiB."""
    max_video_size_mb: float | None = Field(default=None, validation_alias="MAX_VIDEO_SIZE_MB")
    """The upload sessions' name for the size limit; used when ``VIDHOST_MAX_UPLOAD_BYTES`` is
    unset."""
    max_video_duration_minutes: float | None = Field(
        default=None, validation_alias="MAX_VIDEO_DURATION_MINUTES"
    )
    """The upload sessions' name for the duration limit (used when
    ``VIDHOST_MAX_DURATION_SECONDS`` is unset)."""

    # Untrusted media (ADR 0051): what an upload may be, and bounds on reading it ------------
    max_video_width: int = Field(default=8192, ge=16)
    max_video_height: int = Field(default=8192, ge=16)
    max_video_pixels: int = Field(default=36_000_000, ge=256)
    """Largest coded frame (width x height) of any video stream."""
    max_video_fps: float = Field(default=240.0, gt=0)
    max_video_streams: int = Field(default=16, ge=1)
    probe_timeout: float = Field(default=30.0, gt=0)
    """Seconds the probe child may take before the upload is refused (``probe_timeout``)."""
    probe_memory_mb: int = Field(default=512, ge=128)
    """Address space of the probe child (MiB)."""
    max_concurrent_renders: int = Field(default=2, ge=1)
    """On-demand renders (thumbnails, storyboards, previews) running at once per API process."""
    render_queue_seconds: float = Field(default=2.0, ge=0)
    """How long a render waits for a slot before ``503 render_busy``."""
    render_timeout: float = Field(default=120.0, gt=0)
    render_memory_mb: int | None = 1024
    """Address space of each render's ffmpeg (MiB); ``None``: unlimited."""

    # Real-time status and webhooks (docs/realtime.md) ---------------------------------------
    events: Literal["auto", "poll", "local", "redis", "postgres"] = "auto"
    """Cross-process wake-ups for the event log tailer. ``auto``: PostgreSQL LISTEN/NOTIFY when
    the database is PostgreSQL, else ``local`` (loopback UDP between the processes sharing the
    data dir); ``redis`` needs ``redis_url``; ``poll``: none (the log is polled)."""
    redis_url: str | None = None
    event_poll_interval: float = 0.25
    """Seconds between polls of the event log (the fallback when no wake-up arrives)."""
    ws_queue_size: int = 256
    """Messages a WebSocket may have waiting; a client that falls further behind is closed."""
    ws_replay_seconds: float = 600.0
    """``/ws/{client_id}``: on connect, the current task status of that client's videos
    changed within this many seconds is sent again."""
    webhook_url: str | None = None
    """A global endpoint that receives every event of every owner."""
    webhook_secret: str | None = Field(
        default=None, validation_alias=AliasChoices("VIDHOST_WEBHOOK_SECRET", "WEBHOOK_SECRET")
    )
    """Secret of the global endpoint (``WEBHOOK_SECRET`` is read too)."""
    webhook_timeout: float = 10.0
    webhook_retry_base: float = 5.0
    """First retry delay in seconds; doubled after each failed attempt (capped at 1 h)."""
    webhook_retry_for: float = 24 * 3600.0
    """Seconds after which an undelivered webhook is given up."""
    webhook_allow_private: bool = False
    """Endpoints registered through the API may point at loopback, private and link-local
    hosts (development, tests, internal deployments). ``VIDHOST_WEBHOOK_URL`` always may."""
    webhook_allowed_networks: list[str] = Field(default_factory=list)
    """CIDRs (JSON list, e.g. ``["10.1.0.0/16"]``) API-registered endpoints may resolve to
    although they are not public."""
    webhook_allowed_hosts: list[str] = Field(default_factory=list)
    """Host names (JSON list) API-registered endpoints may use whatever they resolve to.
    The three ``webhook_allow*`` settings apply to every URL a user gives the server to
    fetch: Mux ``input`` URLs too (ADR 0052)."""

    # The Mux-compatible API (ADR 0091) ---------------------------------------------------
    mux_pull_timeout: float = 600.0
    """Seconds a ``POST /video/v1/assets`` input URL may take to download (the whole file)."""
    mux_test_asset_lifetime: float = Field(default=86400.0, gt=0)
    """Seconds a ``test: true`` asset lives (Mux: 24 h); the cleanup sweeper then deletes it
    (ADR 0094: at the next ``cleanup_interval`` tick)."""
    mux_test_asset_seconds: float = Field(default=10.0, gt=0)
    """How much of a ``test: true`` asset's source is kept (Mux: its first 10 s)."""

    # The Cloudflare-compatible API (ADR 0092) ---------------------------------------------
    cloudflare_min_scheduled_deletion: float = Field(default=30 * 86400.0, ge=0)
    """The earliest ``scheduledDeletion`` accepted, in seconds from now (Cloudflare: 30
    days); an earlier time is 400 ``invalid_request``."""

    # The original upload (ADR 0093) ---------------------------------------------------------
    original_downloads: bool = True
    """The owner may download a video's original upload, byte for byte (``GET
    /api/videos/{id}/original``, Mux ``master_access: temporary``). vidhost keeps every
    original for the video's whole life either way: later chunks, on-demand segments and
    thumbnails are made from it. ``false``: both answer 409 ``original_not_kept``."""
    original_link_ttl: int = Field(default=86400, ge=1)
    """Seconds a link to the original stays valid (Mux: 24 h; after that ``master_access``
    is ``none`` again)."""

    # Operations (ADR 0072) --------------------------------------------------------------
    metrics_token: str | None = None
    """When set, ``GET /metrics`` needs ``Authorization: Bearer <token>``."""
    metrics_open: bool = False
    """Serve ``/metrics`` without a token although the bind address is not loopback. Without
    it (and without ``metrics_token``), a non-loopback bind answers ``/metrics`` with 403."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses or CIDRs (JSON list, e.g. ``["10.0.0.5", "172.16.0.0/12"]``) of reverse
    proxies in front of vidhost. A request whose peer is one of them names the public URL
    with ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` (else ``Host``) when ``public_url``
    is unset. Without it no request header chooses the host of a link vidhost hands out."""
    worker_metrics_port: int | None = None
    """A standalone ``vidhost worker`` serves its own ``GET /metrics`` on this port (on
    ``host``); under ``serve`` the embedded worker's metrics are in the API's ``/metrics``."""

    @field_validator("webhook_allowed_networks", "trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network.strip(), strict=False)  # ValueError names the entry
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _heartbeat_within_stale_window(self) -> Settings:
        if self.task_stale_after < 2 * self.task_heartbeat_interval:
            raise ValueError(
                "VIDHOST_TASK_STALE_AFTER must be at least twice VIDHOST_TASK_HEARTBEAT_INTERVAL"
            )
        return self

    @model_validator(mode="after")
    def _upload_session_aliases(self) -> Settings:
        if self.max_video_size_mb is not None and "max_upload_bytes" not in self.model_fields_set:
            self.max_upload_bytes = int(self.max_video_size_mb * MIB)
        if (
            self.max_video_duration_minutes is not None
            and "max_duration_seconds" not in self.model_fields_set
        ):
            self.max_duration_seconds = self.max_video_duration_minutes * 60
        return self

    # Derived values -----------------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'vidhost.db'}"

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or f"vidhost-sqla+sqlite:///{self.data_dir / 'broker.db'}"

    @property
    def tus_size_limit(self) -> int:
        return self.tus_max_size if self.tus_max_size is not None else self.max_upload_bytes

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "storage"

    @property
    def tmp_root(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def models_dir(self) -> Path:
        """Where bundled speech models are joined on first use (ADR 0069)."""
        return self.data_dir / "models"

    @property
    def tmp_dir(self) -> Path:
        """This process's own temporary directory (``tmp/p<pid>-<instance>``, ADR 0071):
        what a dead process left there is swept when the next process starts."""
        from vidhost.media.process import own_tmp_dir

        return own_tmp_dir(self.tmp_root)

    def resolved_jwt_secret(self) -> str:
        """The configured secret, else one generated once and kept in the data dir.

        Creation is exclusive (``O_EXCL``): concurrent processes all end up with the first one.
        """
        if self.jwt_secret:
            return self.jwt_secret
        path = self.data_dir / "jwt_secret"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            for _ in range(50):  # the creator may not have written it yet
                secret = path.read_text().strip()
                if secret:
                    return secret
                time.sleep(0.01)
            raise RuntimeError("the jwt_secret file in the data dir is empty") from None
        secret = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret)
        return secret

    def prepare_dirs(self) -> None:
        for directory in (self.data_dir, self.storage_dir, self.tmp_root):
            directory.mkdir(parents=True, exist_ok=True)


def shared_secret_problem(settings: Settings) -> str | None:
    """Why this node may not start with these settings, or ``None``.

    With a database other than SQLite there may be several nodes, and a secret generated per
    data dir would make each node reject the others' tokens and signed URLs.
    """
    if settings.jwt_secret or settings.resolved_database_url.startswith("sqlite"):
        return None
    return (
        "VIDHOST_JWT_SECRET is required when the database is not SQLite: every API node and "
        "worker sharing the database must use the same secret (at least 32 bytes, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
    )


def loopback_bind(settings: Settings) -> bool:
    """Whether ``serve`` listens on loopback only (``127.0.0.1``, ``::1``, ``localhost``)."""
    if settings.host == "localhost":
        return True
    try:
        return ipaddress.ip_address(settings.host.strip("[]")).is_loopback
    except ValueError:
        return False


def metrics_closed(settings: Settings) -> bool:
    """``/metrics`` is refused to everyone: no token, not opened, on a non-loopback bind."""
    return not settings.metrics_token and not settings.metrics_open and not loopback_bind(settings)


def public_base_url(settings: Settings) -> str:
    """Where URLs in webhook payloads point: ``VIDHOST_PUBLIC_URL``, else the address
    ``serve`` listens on (a wildcard bind is reached on loopback; set the public URL for
    others)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"
