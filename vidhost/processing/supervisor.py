"""The embedded worker: a ``vidhost worker`` child process that ``serve`` starts and restarts."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from vidhost.media.process import child_preexec

log = logging.getLogger(__name__)


class WorkerSupervisor:
    def __init__(self, env: dict[str, str], *, restart_delay: float = 1.0) -> None:
        self.env = env
        self.restart_delay = restart_delay
        self.process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vidhost-worker-sup", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        cmd = [sys.executable, "-m", "vidhost", "worker", "--embedded"]
        self.process = subprocess.Popen(
            cmd, env={**os.environ, **self.env}, preexec_fn=child_preexec()
        )
        log.info("embedded worker started (pid %s)", self.process.pid)

    def _loop(self) -> None:
        while not self._stop.is_set():
            proc = self.process
            if proc is not None and proc.poll() is not None and not self._stop.is_set():
                log.warning("embedded worker exited with %s; restarting", proc.returncode)
                time.sleep(self.restart_delay)
                if not self._stop.is_set():
                    self._spawn()
            self._stop.wait(0.5)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
