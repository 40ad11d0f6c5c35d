"""``vidhost check-config``: the effective profile, and whether each part of it answers.

Read-only: nothing is created or migrated (a SQLite database that does not exist yet is
reported as such, a missing local directory as creatable).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from vidhost.adapters.db.engine import driver_url
from vidhost.app.settings import (
    Settings,
    metrics_closed,
    public_base_url,
    shared_secret_problem,
)


@dataclass(frozen=True)
class Check:
    part: str
    """``database``, ``storage``, ``broker``, ``events``, ``jwt_secret``, ``metrics``."""
    value: str
    """What the settings make of it (passwords hidden)."""
    ok: bool
    detail: str
    warn: bool = False
    """Works, but not as an operator likely wants (``[WARN]``; the result stays ok)."""


@dataclass
class Report:
    profile: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def lines(self) -> list[str]:
        out = [f"profile: {self.profile}"]
        for c in self.checks:
            verdict = "FAIL" if not c.ok else "WARN" if c.warn else "ok"
            out.append(f"{c.part}: {c.value} [{verdict}] {c.detail}".rstrip())
        out.append("result: " + ("ok" if self.ok else "some parts are not reachable or valid"))
        return out


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    try:
        parsed = make_url(url)
    except Exception:
        return url.split("@")[-1] if "@" in url else url
    return parsed.render_as_string(hide_password=True)


def _attempt(fn: Callable[[], str]) -> tuple[bool, str]:
    try:
        return True, fn()
    except Exception as exc:  # any failure to reach a service is the answer, not a crash
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return False, f"unreachable: {type(exc).__name__}: {message}"[:300]


def _writable(path: Path) -> str:
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise PermissionError(f"{probe} is not writable")
    return "exists, writable" if probe == path else "will be created"


def _database(settings: Settings, timeout: float) -> Check:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")

        def sqlite() -> str:
            if not path.exists():
                return "not created yet (made at first start); directory " + _writable(path.parent)
            engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            return "reachable"

        ok, detail = _attempt(sqlite)
        return Check("database", f"sqlite {path}", ok, detail)

    def server() -> str:
        sa_url = driver_url(url)
        args = {"connect_timeout": max(1, round(timeout))} if "postgresql" in sa_url else {}
        engine = create_engine(sa_url, connect_args=args)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
        return "reachable"

    ok, detail = _attempt(server)
    return Check("database", redact(url), ok, detail)


def _storage(settings: Settings, timeout: float) -> Check:
    if settings.storage == "local":
        ok, detail = _attempt(lambda: _writable(settings.storage_dir))
        return Check("storage", f"local {settings.storage_dir}", ok, detail)
    endpoint = settings.s3_endpoint_url or "AWS"

    def s3() -> str:
        from vidhost.adapters.storage.s3 import s3_client
        from vidhost.app.wiring import s3_config

        client = s3_client(
            s3_config(settings), settings.s3_endpoint_url, timeout=timeout, attempts=1
        )
        client.head_bucket(Bucket=settings.s3_bucket)
        return "reachable, bucket exists"

    ok, detail = _attempt(s3)
    return Check("storage", f"s3 bucket={settings.s3_bucket} endpoint={endpoint}", ok, detail)


def _broker(settings: Settings, timeout: float) -> Check:
    url = settings.resolved_broker_url
    if url.startswith("vidhost-sqla+sqlite"):
        path = Path(url.removeprefix("vidhost-sqla+sqlite:///"))
        ok, detail = _attempt(lambda: "embedded (SQLite file) " + _writable(path))
        return Check("broker", f"embedded {path}", ok, detail)

    def kombu_connect() -> str:
        from kombu.connection import Connection

        with Connection(url, connect_timeout=timeout) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return "reachable"

    ok, detail = _attempt(kombu_connect)
    return Check("broker", f"{redact(url)} queue={settings.queue}", ok, detail)


def _events(settings: Settings, database: Check, timeout: float) -> Check:
    dialect = "postgresql" if settings.resolved_database_url.startswith("postgresql") else ""
    mode = settings.events
    if mode == "auto":
        mode = "postgres" if dialect else "local"
    if mode == "postgres":
        if not dialect:
            return Check("events", "postgres", False, "needs a PostgreSQL database")
        return Check(
            "events",
            "postgres (LISTEN/NOTIFY)",
            database.ok,
            "via the database: " + database.detail,
        )
    if mode == "redis":
        if not settings.redis_url:
            return Check("events", "redis", False, "VIDHOST_REDIS_URL is not set")

        def ping() -> str:
            import redis

            client = redis.Redis.from_url(
                settings.redis_url or "", socket_connect_timeout=timeout, socket_timeout=timeout
            )
            client.ping()
            client.close()
            return "reachable"

        ok, detail = _attempt(ping)
        return Check("events", f"redis {redact(settings.redis_url)}", ok, detail)
    if mode == "local":
        return Check("events", "local (loopback UDP between this data dir's processes)", True, "")
    return Check("events", f"poll every {settings.event_poll_interval:g} s", True, "")


def check(settings: Settings, *, timeout: float = 5.0) -> Report:
    scaled = (
        settings.database_url is not None
        or settings.storage != "local"
        or settings.broker_url is not None
    )
    report = Report("scaled-out" if scaled else "embedded")
    database = _database(settings, timeout)
    report.checks += [
        database,
        _storage(settings, timeout),
        _broker(settings, timeout),
        _events(settings, database, timeout),
    ]
    problem = shared_secret_problem(settings)
    if settings.jwt_secret:
        report.checks.append(Check("jwt_secret", "set (VIDHOST_JWT_SECRET)", True, ""))
    else:
        report.checks.append(
            Check(
                "jwt_secret",
                "generated in the data dir" if problem is None else "not set",
                problem is None,
                problem or "",
            )
        )
    report.checks.append(_public_url(settings, embedded=not scaled))
    report.checks.append(_metrics(settings))
    return report


def _public_url(settings: Settings, *, embedded: bool) -> Check:
    """Where links point. Outside the embedded profile (which serves one machine), neither
    ``VIDHOST_PUBLIC_URL`` nor ``VIDHOST_TRUSTED_PROXIES`` means every node's links name its
    own bind address."""
    if settings.public_url:
        return Check("public_url", settings.public_url, True, "")
    if settings.trusted_proxies:
        proxies = ", ".join(settings.trusted_proxies)
        return Check("public_url", f"from X-Forwarded-* of trusted proxies {proxies}", True, "")
    value = f"not set: links point at {public_base_url(settings)} (the bind address)"
    if embedded:
        return Check("public_url", value, True, "")
    return Check(
        "public_url",
        value,
        True,
        "set VIDHOST_PUBLIC_URL (or VIDHOST_TRUSTED_PROXIES behind a reverse proxy)",
        warn=True,
    )


def _metrics(settings: Settings) -> Check:
    if settings.metrics_token:
        return Check("metrics", "/metrics token required", True, "")
    if settings.metrics_open:
        return Check("metrics", "/metrics open to anyone (VIDHOST_METRICS_OPEN)", True, "")
    if metrics_closed(settings):
        return Check(
            "metrics",
            f"/metrics closed (bound to {settings.host}, no VIDHOST_METRICS_TOKEN)",
            True,
            "set VIDHOST_METRICS_TOKEN to scrape it",
            warn=True,
        )
    return Check("metrics", "/metrics open on loopback (no VIDHOST_METRICS_TOKEN)", True, "")
