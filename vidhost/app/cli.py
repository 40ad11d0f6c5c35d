"""The ``vidhost`` command: serve, worker, token, access-token, cleanup, error-codes,
check-config."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from vidhost.app.settings import Settings
from vidhost.client.commands import register as register_client_commands

app = typer.Typer(help="vidhost: upload, process and stream video.", no_args_is_help=True)
register_client_commands(app)  # upload, ls, status, rm, open, login, logout


def _settings(data_dir: Path | None = None) -> Settings:
    if data_dir is not None:
        os.environ["VIDHOST_DATA_DIR"] = str(data_dir)
    return Settings()


def _logging(level: str = "INFO") -> str:
    """Log to stderr at ``VIDHOST_LOG_LEVEL`` (else ``level``); the schema migrations' step by
    step lines only at DEBUG. Answers the level."""
    chosen = os.environ.get("VIDHOST_LOG_LEVEL", level).upper()
    logging.basicConfig(
        level=chosen, format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
    )
    if chosen != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return chosen


def _data_dir_used(settings: Settings, given: Path | None) -> None:
    """Say (stderr) which data dir a server-side command works on, and why that one."""
    from vidhost.app.banner import data_dir_source, legacy_hint

    typer.echo(f"vidhost: data dir {settings.data_dir} ({data_dir_source(given)})", err=True)
    hint = legacy_hint(settings, given)
    if hint:
        typer.echo(f"vidhost: {hint}", err=True)


def _require_server_data(settings: Settings, *, needs: str) -> None:
    """Refuse to work on a data dir no server has used: a new token secret (or database)
    made here would not be the server's, and its tokens would be refused (issue 24)."""
    if needs == "jwt_secret" and settings.jwt_secret:
        return
    if needs == "database" and settings.database_url is not None:
        return
    name = "jwt_secret" if needs == "jwt_secret" else "vidhost.db"
    if (settings.data_dir / name).exists():
        return
    typer.echo(
        f"vidhost: no vidhost server has used {settings.data_dir} (it holds no {name}), and "
        f"this command does not create one: its tokens would not be the server's. Start "
        f"`vidhost serve` first, or name the server's data dir with --data-dir or "
        f"VIDHOST_DATA_DIR.",
        err=True,
    )
    raise typer.Exit(2)


def _require_shared_secret(settings: Settings) -> None:
    """Nodes sharing a database must share the token secret: refuse to guess one (ADR 0071)."""
    from vidhost.app.settings import shared_secret_problem

    problem = shared_secret_problem(settings)
    if problem:
        typer.echo(f"vidhost: {problem}", err=True)
        raise typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where data lives.")] = None,
) -> None:
    """Run the HTTP API (and, by default, an embedded worker) until interrupted; once it
    answers, print where it is, a sign-in link, the data dir and where the logs go."""
    log_level = _logging()
    # The address given here is the one settings (and so the worker, which inherits the
    # environment) see: URLs built without VIDHOST_PUBLIC_URL point at it, not at :8000.
    if host:
        os.environ["VIDHOST_HOST"] = host
    if port:
        os.environ["VIDHOST_PORT"] = str(port)
    settings = _settings(data_dir)
    _require_shared_secret(settings)
    from vidhost.app.metrics_setup import enable_multiprocess

    enable_multiprocess(settings)  # before prometheus_client is imported (ADR 0072)

    import uvicorn

    from vidhost.app.banner import banner, legacy_hint
    from vidhost.app.main import create_app
    from vidhost.http.protocol import VidhostHttpProtocol

    application = create_app(settings)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.started or self.should_exit:
                return
            container = application.state.container
            codes = container.sign_in_codes
            link = f"{container.base_url()}/sign-in#code={codes.issue()}" if codes else None
            hint = legacy_hint(settings, data_dir)
            text = banner(settings, given=data_dir, sign_in_link=link, log_level=log_level)
            print(text + (f"  {hint}\n" if hint else ""), flush=True)

    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=5,
        http=VidhostHttpProtocol,
        # the peer stays the connection's: vidhost.http.origin decides which forwarded
        # headers to believe (VIDHOST_TRUSTED_PROXIES), not uvicorn's loopback default
        proxy_headers=False,
    )
    server = Server(config)
    server.run()
    if not server.started:
        raise typer.Exit(3)


@app.command()
def worker(
    data_dir: Annotated[Path | None, typer.Option(help="Where data lives.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Tasks run at once.")] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Celery node name. Default: vidhost-worker@<host>.<pid> (unique)."),
    ] = None,
    embedded: Annotated[
        bool, typer.Option("--embedded", hidden=True, help="Started by serve: quiet start-up.")
    ] = False,
) -> None:
    """Run a processing worker (Celery) on the configured broker."""
    from vidhost.media.process import worker_node_name

    _logging()
    if embedded:  # serve's banner stays the last thing a start prints (issue 24)
        import warnings

        for name in ("celery.apps.worker", "celery.worker.consumer.connection"):
            logging.getLogger(name).setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", message="You're running the worker with superuser")
    settings = _settings(data_dir)
    if not embedded:  # serve's banner names the data dir of its own worker
        _data_dir_used(settings, data_dir)
    _require_shared_secret(settings)
    from vidhost.app.main import build_container

    container = build_container(settings, worker=True)
    if settings.worker_metrics_port and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from vidhost.adapters.metrics import serve_worker_metrics
        from vidhost.app.settings import metrics_closed

        serve_worker_metrics(
            settings.host,
            settings.worker_metrics_port,
            settings.metrics_token,
            closed=metrics_closed(settings),
        )
    worker_ = container.celery.Worker(
        hostname=worker_node_name(name),
        pool="threads",
        concurrency=concurrency or settings.worker_concurrency,
        queues=[settings.queue],
        loglevel=os.environ.get("VIDHOST_LOG_LEVEL", "INFO"),
        quiet=embedded,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    worker_.start()


@app.command()
def token(
    user: Annotated[
        str | None,
        typer.Option(help="The user the token is for (JWT sub). Default: VIDHOST_DEFAULT_USER."),
    ] = None,
    ttl: Annotated[
        float, typer.Option(help="Lifetime in seconds (at most 366 days).", min=1, max=366 * 86400)
    ] = 30 * 24 * 3600,
    data_dir: Annotated[Path | None, typer.Option(help="Where data lives.")] = None,
) -> None:
    """Print a bearer token for USER (default: the user serve's sign-in link signs in), signed
    with the secret of the server's data dir."""
    from vidhost.http.auth.tokens import issue_token

    settings = _settings(data_dir)
    _data_dir_used(settings, data_dir)
    _require_server_data(settings, needs="jwt_secret")
    who = user or settings.default_user
    typer.echo(f"vidhost: token for user {who}", err=True)
    typer.echo(issue_token(settings.resolved_jwt_secret(), who, ttl=ttl))


access_token_app = typer.Typer(
    help="Access tokens of the Mux-compatible API (HTTP Basic id:secret).", no_args_is_help=True
)
app.add_typer(access_token_app, name="access-token")


@access_token_app.command("create")
def access_token_create(
    user: Annotated[
        str | None,
        typer.Option(
            help="The user whose token it is (owner of its assets). Default: VIDHOST_DEFAULT_USER."
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A label for the token.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"id": ..., "secret": ...}.')
    ] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where data lives.")] = None,
) -> None:
    """Create a token for USER: prints its id and its secret (shown only now), one a line."""
    import json

    from vidhost.app.main import build_container

    settings = _settings(data_dir)
    _data_dir_used(settings, data_dir)
    _require_server_data(settings, needs="database")
    who = user or settings.default_user
    typer.echo(f"vidhost: access token for user {who}", err=True)
    container = build_container(settings)
    try:
        token = container.access_tokens.create(who, name)
    finally:
        container.engine.dispose()
    if as_json:
        typer.echo(json.dumps({"id": token.id, "secret": token.secret}))
    else:
        typer.echo(token.id)
        typer.echo(token.secret)


@app.command()
def cleanup(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would go.")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where data lives.")] = None,
) -> None:
    """Remove abandoned records, expired uploads and orphaned objects (each with a reason)."""
    from vidhost.app.main import build_container
    from vidhost.processing.sweepers import run_sweepers

    _logging("WARNING")
    settings = _settings(data_dir)
    _data_dir_used(settings, data_dir)
    container = build_container(settings)
    removed = run_sweepers(container.sweepers, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for r in removed:
        typer.echo(f"{verb} {r.kind} {r.id} reason={r.reason}")
    typer.echo(f"{len(removed)} item(s) {verb}")
    container.close()


@app.command("error-codes")
def error_codes() -> None:
    """Print every error code with its HTTP status and meaning (a Markdown table)."""
    from vidhost.core.error_codes import markdown_table

    typer.echo(markdown_table())


@app.command("check-config")
def check_config(
    data_dir: Annotated[Path | None, typer.Option(help="Where data lives.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each service.")] = 5.0,
) -> None:
    """Print the effective profile (database, storage, broker, events) and whether each part is
    reachable; exit 1 when one is not."""
    from vidhost.app.config_check import check

    settings = _settings(data_dir)
    _data_dir_used(settings, data_dir)
    report = check(settings, timeout=timeout)
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)
