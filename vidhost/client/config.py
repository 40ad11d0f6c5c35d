"""Where the client keeps its settings and state, and which server and token it uses.

Precedence: command-line option, then environment (``VIDHOST_SERVER``, ``VIDHOST_TOKEN``),
then the file ``vidhost login`` wrote, then the default server.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SERVER = "http://127.0.0.1:8000"
APP = "vidhost"


def _base(xdg_var: str, posix_default: Path) -> Path:
    configured = os.environ.get(xdg_var)
    if configured and os.path.isabs(configured):
        return Path(configured)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return posix_default


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/vidhost`` (``~/.config/vidhost``), or the platform's equivalent."""
    return _base("XDG_CONFIG_HOME", Path.home() / ".config") / APP


def state_dir() -> Path:
    """``$XDG_STATE_HOME/vidhost`` (``~/.local/state/vidhost``): resumable upload URLs."""
    return _base("XDG_STATE_HOME", Path.home() / ".local" / "state") / APP


def config_path() -> Path:
    return config_dir() / "config.json"


def write_private(path: Path, data: Any) -> None:
    """Write ``data`` as JSON, atomically, readable by the user only (0600, directory 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp creates the file 0600: the token is never readable by others.
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; an absent or unreadable file is an empty one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class ClientSettings:
    server: str
    token: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def normalise_server(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url


def resolve(server: str | None = None, token: str | None = None) -> ClientSettings:
    stored = read_json(config_path())
    chosen_server = (
        server or os.environ.get("VIDHOST_SERVER") or stored.get("server") or DEFAULT_SERVER
    )
    chosen_token = token or os.environ.get("VIDHOST_TOKEN") or stored.get("token") or None
    return ClientSettings(server=normalise_server(str(chosen_server)), token=chosen_token)


def save_login(server: str, token: str | None) -> Path:
    path = config_path()
    data: dict[str, Any] = {"server": normalise_server(server)}
    if token:
        data["token"] = token
    write_private(path, data)
    return path
