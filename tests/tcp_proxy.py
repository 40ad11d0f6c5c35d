"""A TCP proxy that counts the bytes clients send through it (what the server received) and
the bytes it sends back (what the clients received)."""

from __future__ import annotations

import contextlib
import socket
import threading


class CountingProxy:
    """Forwards its port to ``target_port`` on loopback; ``upstream`` counts request bytes,
    ``downstream`` response bytes, ``connections`` the client connections accepted."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.upstream = 0
        self.downstream = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        with self._lock:
            self.upstream = self.downstream = 0

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, server]
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    if count:
                        self.upstream += len(data)
                    else:
                        self.downstream += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:  # no longer open: not counted by cut()
                self._sockets = [s for s in self._sockets if s not in (src, dst)]
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> int:
        """Drop every open connection, as a network failure would (new ones still work);
        how many were open."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()
        return len(sockets) // 2

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.close()
