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

    model_config = SettingsConfigDict(env_prefix="VIDHOST_", extra="ignore", populate_by_name=True)

    data_dir: Path = Path("vidhost-data")
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
    cleanup_interval: float = 600.0
    """Seconds between periodic cleanup passes in ``serve``."""

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
