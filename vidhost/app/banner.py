"""What ``vidhost serve`` prints last, once it answers: where it is, how to sign in, where
its data and its logs are (issue 24). Everything else it logs comes before."""

from __future__ import annotations

import os
from pathlib import Path

from vidhost.app.settings import Settings, public_base_url

LEGACY_DATA_DIR = Path("vidhost-data")
"""The data dir earlier versions used by default: the one in the current directory."""


def data_dir_source(given: Path | None) -> str:
    """Where the data dir came from: the option, the environment or the per-user default."""
    if given is not None:
        return "--data-dir"
    if os.environ.get("VIDHOST_DATA_DIR"):
        return "VIDHOST_DATA_DIR"
    return "the per-user default; --data-dir or VIDHOST_DATA_DIR to change it"


def legacy_hint(settings: Settings, given: Path | None) -> str | None:
    """A note when the default data dir is used while an older default one sits here."""
    if given is not None or os.environ.get("VIDHOST_DATA_DIR"):
        return None
    old = LEGACY_DATA_DIR.resolve()
    if old == settings.data_dir or not (old / "jwt_secret").exists():
        return None
    return (
        f"note: {old} holds an older vidhost's data (the former default, the current "
        f"directory's vidhost-data); to keep using it, pass --data-dir {old}"
    )


def token_command(settings: Settings, given: Path | None) -> str:
    """The ``vidhost token`` command that signs with this server's secret."""
    return "vidhost token" + (f" --data-dir {settings.data_dir}" if given is not None else "")


def banner(
    settings: Settings, *, given: Path | None, sign_in_link: str | None, log_level: str
) -> str:
    """The lines ``serve`` prints once it is ready (``given``: its ``--data-dir``)."""
    url = public_base_url(settings)
    lines = ["", "vidhost is ready", f"  URL:       {url}/"]
    if sign_in_link:
        lines.append(
            f"  Sign in to the vidhost web app (one-time link, valid 1 h, as "
            f"{settings.default_user}): {sign_in_link}"
        )
        lines.append(
            f"  API token: {token_command(settings, given)}   (the same user, "
            f"{settings.default_user})"
        )
    lines.append(f"  Data dir:  {settings.data_dir}  ({data_dir_source(given)})")
    lines.append(f"  Logs:      this terminal (stderr), level {log_level} (VIDHOST_LOG_LEVEL)")
    lines.append("")
    return "\n".join(lines)
