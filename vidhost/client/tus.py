"""A tus 1.0.0 client (core + creation) for ``/api/v1/videos/tus``, resuming across runs.

Creation (``POST`` with ``Upload-Length`` and ``Upload-Metadata``), then ``PATCH`` chunks
at ``Upload-Offset``. The upload URL is stored (``ResumeStore``) as soon as it exists, so a
later run - after Ctrl-C, ``kill -9``, a reboot - asks the server for its offset (``HEAD``)
and sends only the rest. A dropped connection, a 5xx, an offset mismatch or a locked upload
(another request still finishing) are retried after a pause, from the offset ``HEAD`` gives:
the server's committed offset is the only truth, never what this process thinks it sent.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from vidhost.client.config import ClientSettings
from vidhost.client.errors import ClientError, connection_failed, from_response
from vidhost.client.resume import ResumeStore, fingerprint

TUS_PATH = "/api/v1/videos/tus"
TUS_VERSION = "1.0.0"
OFFSET_STREAM = "application/offset+octet-stream"
DEFAULT_CHUNK = 8 * 1024 * 1024
PIECE = 64 * 1024
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
RETRIED_STATUS = {409, 423, 500, 502, 503, 504}
GONE_STATUS = {403, 404, 410}
TIMEOUT = httpx.Timeout(120.0, connect=10.0)


def encode_metadata(values: dict[str, str]) -> str:
    """``Upload-Metadata``: ``key base64(value)`` pairs, comma-separated."""
    return ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}" if v else k for k, v in values.items()
    )


@dataclass
class Upload:
    url: str
    video_id: str
    size: int
    started_at: int
    """The server's offset when this run began: 0 for a new upload."""
    resumed: bool


class RateLimit:
    """At most ``rate`` bytes per second over the whole run (``None``: unlimited)."""

    def __init__(self, rate: int | None) -> None:
        self.rate = rate
        self.start = time.monotonic()
        self.sent = 0

    def wait(self, n: int) -> None:
        if not self.rate:
            return
        self.sent += n
        ahead = self.sent / self.rate - (time.monotonic() - self.start)
        if ahead > 0:
            time.sleep(ahead)


class TusUploader:
    def __init__(
        self,
        settings: ClientSettings,
        *,
        store: ResumeStore | None = None,
        chunk_size: int = DEFAULT_CHUNK,
        limit_rate: int | None = None,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        http: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or ResumeStore()
        self.chunk_size = max(1, chunk_size)
        self.rate = RateLimit(limit_rate)
        self.retry_delays = retry_delays
        self.http = http or httpx.Client(timeout=TIMEOUT)

    def close(self) -> None:
        self.http.close()

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Tus-Resumable": TUS_VERSION, **self.settings.headers, **extra}

    def _call(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            return self.http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise connection_failed(self.settings.server, exc) from exc

    def create(self, size: int, metadata: dict[str, str]) -> tuple[str, str]:
        """A new upload of ``size`` bytes: its absolute URL and its video id."""
        response = self._call(
            "POST",
            self.settings.server + TUS_PATH,
            headers=self._headers(
                **{"Upload-Length": str(size), "Upload-Metadata": encode_metadata(metadata)}
            ),
        )
        if response.status_code != 201:
            raise from_response(response)
        location = response.headers.get("location")
        video_id = response.headers.get("vidhost-video-id")
        if not location or not video_id:
            raise ClientError("bad_response", "the tus creation answer has no Location", 201)
        return str(httpx.URL(self.settings.server + TUS_PATH).join(location)), video_id

    def head(self, url: str) -> tuple[int, int | None, str | None]:
        """``(offset, length, video id)`` as the server has them durably."""
        response = self._call("HEAD", url, headers=self._headers())
        if response.status_code != 200:
            raise from_response(response)
        try:
            offset = int(response.headers["upload-offset"])
        except (KeyError, ValueError):
            raise ClientError("bad_response", "HEAD answered no Upload-Offset", 200) from None
        length = response.headers.get("upload-length")
        return offset, int(length) if length else None, response.headers.get("vidhost-video-id")

    def open(self, path: Path, metadata: dict[str, str]) -> tuple[Upload, str]:
        """The upload for ``path``: the stored one if the server still has it, else a new one.

        Returns the upload and its fingerprint (the key of its stored URL).
        """
        size = path.stat().st_size
        key = fingerprint(path, self.settings.server)
        entry = self.store.get(key)
        if entry is not None:
            try:
                offset, length, video_id = self.head(str(entry["url"]))
            except ClientError as exc:
                if exc.status not in GONE_STATUS:
                    raise
                self.store.remove(key)  # expired, removed or not ours: start again
            else:
                if length == size:
                    vid = video_id or str(entry["videoId"])
                    return Upload(str(entry["url"]), vid, size, offset, True), key
                self.store.remove(key)
        url, video_id = self.create(size, metadata)
        self.store.put(key, url=url, videoId=video_id, file=str(path.resolve()), size=size)
        return Upload(url, video_id, size, 0, False), key

    def send(
        self,
        upload: Upload,
        path: Path,
        on_progress: Callable[[int], None] = lambda _: None,
    ) -> None:
        """PATCH from the server's offset to the end, retrying what can be retried."""
        stat = path.stat()
        offset = upload.started_at
        failures = 0
        on_progress(offset)
        with open(path, "rb") as fh:
            while offset < upload.size:
                now = path.stat()
                if (now.st_size, now.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                    raise ClientError("file_changed", f"{path} changed during the upload")
                n = min(self.chunk_size, upload.size - offset)
                fh.seek(offset)
                data = fh.read(n)
                try:
                    response = self._call(
                        "PATCH",
                        upload.url,
                        content=self._body(data, offset, on_progress),
                        headers=self._headers(
                            **{
                                "Upload-Offset": str(offset),
                                "Content-Type": OFFSET_STREAM,
                                "Content-Length": str(len(data)),
                            }
                        ),
                    )
                except ClientError as exc:
                    failure: ClientError = exc
                else:
                    if response.status_code == 204:
                        offset = int(response.headers.get("upload-offset", offset + len(data)))
                        failures = 0
                        on_progress(offset)
                        continue
                    failure = from_response(response)
                    if response.status_code not in RETRIED_STATUS:
                        raise failure
                if failures >= len(self.retry_delays):
                    raise failure
                time.sleep(self.retry_delays[failures])
                failures += 1
                try:
                    offset = self.head(upload.url)[0]
                except ClientError as exc:
                    if exc.code != "connection_failed":
                        raise
                on_progress(offset)

    def _body(
        self, data: bytes, offset: int, on_progress: Callable[[int], None]
    ) -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(data), PIECE):
            piece = view[start : start + PIECE]
            self.rate.wait(len(piece))
            yield bytes(piece)
            on_progress(offset + start + len(piece))
