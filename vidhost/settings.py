"""Runtime settings, read from the environment with the ``VIDHOST_`` prefix."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Every knob vidhost has. Defaults give the embedded profile (no other service)."""

    model_config = SettingsConfigDict(env_prefix="VIDHOST_", extra="ignore")

    data_dir: Path = Path("vidhost-data")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    """Base URL clients reach this server at; defaults to the request's own base URL."""

    database_url: str | None = None
    """SQLAlchemy URL. Default: SQLite file ``vidhost.db`` in the data dir."""

    storage: Literal["local", "s3"] = "local"

    broker_url: str | None = None
    """Celery broker. Default: server-less SQLAlchemy transport on ``broker.db`` in the data dir."""
    embedded_worker: bool = True
    """``vidhost serve`` starts and supervises a worker process itself."""
    worker_concurrency: int = 2

    auth: Literal["jwt", "none"] = "jwt"
    jwt_secret: str | None = None
    """HS256 secret. Default: generated once and kept in ``jwt_secret`` in the data dir."""
    anonymous_user: str = "anonymous"
    """Owner recorded for videos when ``auth=none``."""

    max_upload_bytes: int = 500 * MIB
    segment_seconds: float = 4.0
    ladder_heights: list[int] = Field(default_factory=lambda: [1080, 720, 480, 360, 240])
    x264_preset: str = "veryfast"
    ffmpeg: str | None = None
    """Path of the ffmpeg binary. Default: the one shipped in the imageio-ffmpeg wheel."""
    ffmpeg_timeout: float = 3600.0
    """Seconds after which an ffmpeg run is killed and its task fails."""
    task_stale_after: float = 120.0
    """A processing task whose heartbeat is older than this is taken over by the reconciler."""
    reconcile_interval: float = 30.0

    # Real-time status and webhooks (docs/realtime.md) ---------------------------------------
    events: Literal["auto", "poll", "local", "redis", "postgres"] = "auto"
    """Cross-process wake-ups for the event log tailer. ``auto``: PostgreSQL LISTEN/NOTIFY when
    the database is PostgreSQL, else ``local`` (loopback UDP between the processes sharing the
    data dir); ``redis`` needs ``redis_url``; ``poll``: none (the log is polled)."""
    redis_url: str | None = None
    event_poll_interval: float = 0.02
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
    """Secret of the global endpoint (seed 002's ``WEBHOOK_SECRET`` is read too)."""
    webhook_timeout: float = 10.0
    webhook_retry_base: float = 5.0
    """First retry delay in seconds; doubled after each failed attempt (capped at 1 h)."""
    webhook_retry_for: float = 24 * 3600.0
    """Seconds after which an undelivered webhook is given up."""

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    # Derived values -----------------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'vidhost.db'}"

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or f"vidhost-sqla+sqlite:///{self.data_dir / 'broker.db'}"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "storage"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    def resolved_jwt_secret(self) -> str:
        """The configured secret, else one generated once and kept in the data dir."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.data_dir / "jwt_secret"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret)
        path.chmod(0o600)
        return secret

    def prepare_dirs(self) -> None:
        for directory in (self.data_dir, self.storage_dir, self.tmp_dir):
            directory.mkdir(parents=True, exist_ok=True)
