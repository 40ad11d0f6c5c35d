"""Wake-ups between processes on one machine (the embedded profile): loopback UDP.

Each API process binds a UDP port on 127.0.0.1 and registers it as a file
``{data_dir}/wakeup/{pid}-{port}``; every process that writes events sends one datagram to
each registered port after a commit. Registrations of dead processes are removed by the
next listener that starts. Datagrams carry nothing: the event log stays the only record.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import threading
import time
from pathlib import Path


def registry(data_dir: Path) -> Path:
    return data_dir / "wakeup"


class LocalPublisher:
    """After-commit hook: a datagram to every listener registered in ``directory`` (the list
    is refreshed each 0.5 s)."""

    def __init__(self, directory: Path, refresh: float = 0.5) -> None:
        self.dir = directory
        self.refresh = refresh
        self._ports: list[int] = []
        self._listed = 0.0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._lock = threading.Lock()

    def _targets(self) -> list[int]:
        now = time.monotonic()
        if now - self._listed > self.refresh:
            ports = []
            with contextlib.suppress(OSError):
                for entry in os.scandir(self.dir):
                    _, _, port = entry.name.partition("-")
                    if port.isdigit():
                        ports.append(int(port))
            self._ports, self._listed = ports, now
        return self._ports

    def __call__(self) -> None:
        with self._lock:
            for port in self._targets():
                with contextlib.suppress(OSError):
                    self._sock.sendto(b"1", ("127.0.0.1", port))


class Doorbell:
    """A listener without a thread: ``wait(timeout)`` returns early when a datagram arrives.

    Registered in ``directory`` on first ``wait``; the registration is removed by ``close``,
    at exit, or (after a crash) by the next registrant that finds its process gone.
    """

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self._sock: socket.socket | None = None
        self._file: Path | None = None

    def open(self) -> socket.socket:
        """Bind and register now (``wait`` does it on first use)."""
        if self._sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            self.dir.mkdir(parents=True, exist_ok=True)
            _remove_dead(self.dir)
            self._file = self.dir / f"{os.getpid()}-{sock.getsockname()[1]}"
            self._file.touch()
            self._sock = sock
            atexit.register(self.close)
        return self._sock

    def wait(self, timeout: float) -> bool:
        """True if rung (any datagrams waiting are consumed), False after ``timeout``."""
        sock = self.open()
        sock.settimeout(timeout)
        try:
            sock.recv(64)
        except TimeoutError:
            return False
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:
                sock.recv(64)
        return True

    def ring_self(self) -> None:
        """Wake this process's own ``wait`` (e.g. when local capacity frees up); no-op until
        the doorbell is open. Safe from any thread: it sends from a socket of its own."""
        sock = self._sock
        if sock is None:
            return
        with (
            contextlib.suppress(OSError),
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
        ):
            sender.sendto(b"!", sock.getsockname())

    def close(self) -> None:
        atexit.unregister(self.close)
        if self._file is not None:
            self._file.unlink(missing_ok=True)
        if self._sock is not None:
            self._sock.close()
        self._sock = self._file = None


class LocalListener:
    """A thread that sets ``wakeup`` whenever the doorbell in ``directory`` rings."""

    def __init__(self, directory: Path, wakeup: threading.Event) -> None:
        self.wakeup = wakeup
        self._bell = Doorbell(directory)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vidhost-wakeup", daemon=True)

    def start(self) -> None:
        self._bell.open()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._bell.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._bell.wait(0.5):
                    self.wakeup.set()
            except OSError:
                return


def _remove_dead(directory: Path) -> None:
    for entry in directory.iterdir():
        pid, _, _ = entry.name.partition("-")
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            entry.unlink(missing_ok=True)
        except PermissionError:
            pass
