"""A real ``vidhost serve`` process for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


VIDHOST = (sys.executable, "-m", "vidhost")
"""The command that runs vidhost: this interpreter's (the checkout, in tests)."""


class ServerProcess:
    def __init__(
        self,
        data_dir: Path,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        *,
        command: Sequence[str] = VIDHOST,
    ):
        """``command`` runs vidhost (another venv's ``bin/vidhost``, say); it is run in
        ``data_dir`` then, so that the checkout is not on its path."""
        self.data_dir = data_dir
        self.port = port or free_port()
        self.env = dict(env or {})
        self.command = tuple(command)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "VIDHOST_DATA_DIR": str(self.data_dir),
            "VIDHOST_RECONCILE_INTERVAL": "1",
            "VIDHOST_TASK_STALE_AFTER": "4",
            "VIDHOST_LADDER_HEIGHTS": "[360, 240]",
            "VIDHOST_X264_PRESET": "ultrafast",
            "VIDHOST_SEGMENT_SECONDS": "1",
            **self.env,
        }
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            [*self.command, "serve", "--port", str(self.port)],
            env=env,
            cwd=None if self.command == VIDHOST else self.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """SIGKILL the whole process group: the server and its worker die at once."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
