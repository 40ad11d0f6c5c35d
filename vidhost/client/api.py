"""The REST calls the command line makes (``/api/videos``, downloads, playback tokens)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from vidhost.client.config import ClientSettings
from vidhost.client.errors import ClientError, connection_failed, from_response

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Api:
    """A thin wrapper over ``httpx.Client``: JSON in, JSON out, ``ClientError`` on failure."""

    def __init__(self, settings: ClientSettings, http: httpx.Client | None = None) -> None:
        self.settings = settings
        self.http = http or httpx.Client(timeout=TIMEOUT, headers=settings.headers)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return self.settings.server + path

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, self.url(path), **kwargs)
        except httpx.TransportError as exc:
            raise connection_failed(self.settings.server, exc) from None
        if response.status_code >= 400:
            raise from_response(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ClientError(
                "bad_response", f"{method} {path} did not answer JSON", response.status_code
            ) from None

    def videos(self, states: list[str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The caller's videos, newest first (pages followed up to ``limit``)."""
        out: list[dict[str, Any]] = []
        while len(out) < limit:
            params: list[tuple[str, str | int]] = [
                ("limit", min(100, limit - len(out))),
                ("offset", len(out)),
            ]
            params += [("state", s) for s in states or []]
            page = self.json("GET", "/api/videos", params=params)
            out += page["videos"]
            if not page["videos"] or len(out) >= int(page["total"]):
                break
        return out

    def video(self, video_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", f"/api/videos/{video_id}")
        return result

    def status(self, video_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", f"/api/videos/{video_id}/status")
        return result

    def delete(self, video_id: str) -> None:
        self.request("DELETE", f"/api/videos/{video_id}")

    def set_metadata(self, video_id: str, metadata: dict[str, Any]) -> None:
        self.request("PUT", f"/api/videos/{video_id}/metadata", json=metadata)

    def downloads(self, video_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.json("GET", f"/api/videos/{video_id}/downloads")
        return result

    def download(self, video_id: str, name: str) -> dict[str, Any]:
        """The video's download ``name`` (``{name, status, url, bytes}``)."""
        for record in self.downloads(video_id):
            if record.get("name") == name:
                return record
        raise ClientError("download_not_found", f"no {name} download of {video_id}", 404)

    def request_download(self, video_id: str, rendition: str) -> dict[str, Any]:
        """Ask for a download (idempotent): the record, ``preparing`` or ``ready``."""
        result: dict[str, Any] = self.json(
            "POST", f"/api/videos/{video_id}/downloads", json={"rendition": rendition}
        )
        return result

    def captions(self, video_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.json("GET", f"/api/videos/{video_id}/captions")
        return result

    def add_caption(
        self,
        video_id: str,
        path: Path,
        *,
        language: str,
        name: str | None = None,
        closed_captions: bool = False,
    ) -> dict[str, Any]:
        """Upload a WebVTT or SRT file as a text track."""
        fields = {"language": language, "closedCaptions": "true" if closed_captions else "false"}
        if name:
            fields["name"] = name
        with path.open("rb") as fh:
            result: dict[str, Any] = self.json(
                "POST",
                f"/api/videos/{video_id}/captions",
                files={"file": (path.name, fh, "text/vtt")},
                data=fields,
            )
        return result

    def delete_caption(self, video_id: str, track_id: str) -> None:
        self.request("DELETE", f"/api/videos/{video_id}/captions/{track_id}")

    def playback_token(self, video_id: str, ttl: int | None = None) -> dict[str, Any]:
        body = {"ttl": ttl} if ttl else {}
        result: dict[str, Any] = self.json(
            "POST", f"/api/videos/{video_id}/playback-token", json=body
        )
        return result

    def playback_url(self, video: dict[str, Any]) -> str | None:
        """The URL a player opens (``video`` as ``GET /api/videos/{id}`` answers it): for a
        private video, the signed one of ``POST /api/videos/{id}/playback-token``."""
        if video.get("visibility") == "private":
            return str(self.playback_token(str(video["videoId"]))["playbackUrl"])
        url = video.get("playbackUrl")
        return str(url) if url else None

    def page_url(self, video_id: str) -> str:
        """The web app's page of a video."""
        return self.url(f"/videos/{video_id}")
