"""Client-side helpers shared by end-to-end tests."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import av
import httpx

SECRET = "e2e-test-secret-0123456789abcdefghijklmnop"
AUTH_ENV = {"VIDHOST_AUTH": "jwt", "VIDHOST_JWT_SECRET": SECRET}


def auth(user: str) -> dict[str, str]:
    from vidhost.http.auth.tokens import issue_token

    return {"Authorization": f"Bearer {issue_token(SECRET, user)}"}


def upload(base: str, path: Path, headers: dict[str, str], content_type: str = "video/mp4") -> str:
    with open(path, "rb") as fh:
        r = httpx.post(
            base + "/upload",
            files={"file": (path.name, fh, content_type)},
            headers=headers,
            timeout=120,  # the upload answers after the probe: seconds on a busy machine
        )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["videoId"] == body["file_id"]
    assert body["message"] == "Video uploaded successfully"
    return str(body["videoId"])


def set_visibility(base: str, video_id: str, visibility: str, headers: dict[str, str]) -> None:
    r = httpx.put(
        f"{base}/api/videos/{video_id}/metadata",
        json={"title": "t", "visibility": visibility},
        headers=headers,
    )
    assert r.status_code == 200, r.text


def wait_for_state(
    base: str,
    video_id: str,
    headers: dict[str, str],
    states: set[str],
    timeout: float = 90,
    *,
    details: bool = False,
) -> dict:
    """Poll ``/api/videos/{id}/status`` (or the details) until the video is in ``states``."""
    url = f"{base}/api/videos/{video_id}" + ("" if details else "/status")
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        r = httpx.get(url, headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        if body["state"] in states:
            return body
        time.sleep(0.2)
    raise AssertionError(f"video {video_id} never reached {states}; last: {body}")


def wait_for_ladder(
    base: str, video_id: str, headers: dict[str, str], timeout: float = 120
) -> dict:
    """Poll the status until the whole ladder is stored (the ``transcode`` task ends) or the
    video fails: ``ready`` comes earlier, with the start of the video (ADR 0061, 0062)."""
    url = f"{base}/api/videos/{video_id}/status"
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        r = httpx.get(url, headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        ends = [t for t in body["tasks"] if t["type"] == "transcode"]
        if body["state"] == "failed" or (ends and ends[0]["status"] in ("completed", "failed")):
            return body
        time.sleep(0.2)
    raise AssertionError(f"the ladder of {video_id} was never stored; last: {body}")


def upload_ready(
    base: str, clip: Path, videos: dict[str, tuple[dict[str, str], str | None]]
) -> dict[str, str]:
    """Upload ``clip`` once per name, as ``(owner headers, visibility or None)``, then wait
    until every one is ``ready`` (they process side by side); their ids by name."""
    ids = {}
    for name, (who, visibility) in videos.items():
        ids[name] = upload(base, clip, who)
        if visibility is not None:
            set_visibility(base, ids[name], visibility, who)
    for name, (who, _) in videos.items():
        status = wait_for_state(base, ids[name], who, {"ready", "failed"})
        assert status["state"] == "ready", status
    return ids


SEGMENT_TYPES = {"ts": "video/MP2T", "m4s": "video/iso.segment", "mp4": "video/mp4"}
_MAP = re.compile(r'^#EXT-X-MAP:.*URI="([^"]+)"', re.MULTILINE)


def playlist_uris(text: str) -> list[str]:
    """The URIs a player fetches, in order: a CMAF playlist's init segment (``#EXT-X-MAP``)
    first, then every segment (or every variant of a master playlist)."""
    uris = [line for line in text.splitlines() if line and not line.startswith("#")]
    return _MAP.findall(text)[:1] + uris


def segment_type(url: str) -> str:
    """The ``Content-Type`` a segment (or init segment) URL is served with."""
    return SEGMENT_TYPES[urlsplit(url).path.rsplit(".", 1)[-1]]


def fetch_rendition(manifest_url: str, variant_uri: str, dest: Path) -> tuple[Path, list[str]]:
    """Download every segment of one variant, init segment first, into one file (MPEG-TS
    or fragmented MP4: both decode as one stream); return it and the URLs."""
    variant_url = urljoin(manifest_url, variant_uri)
    r = httpx.get(variant_url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.apple.mpegurl"
    segment_urls = [urljoin(variant_url, uri) for uri in playlist_uris(r.text)]
    with open(dest, "wb") as out:
        for url in segment_urls:
            seg = httpx.get(url)
            assert seg.status_code == 200, url
            assert seg.headers["content-type"] == segment_type(url)
            out.write(seg.content)
    return dest, segment_urls


def decoded_duration(path: Path) -> tuple[float, int, int]:
    """(seconds of decoded video, width, height) of a media file."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first = last = None
        width = height = 0
        frame_time = 0.0
        for frame in container.decode(stream):
            t = float(frame.pts * frame.time_base)
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
            width, height = frame.width, frame.height
        rate = stream.average_rate or stream.guessed_rate
        if rate:
            frame_time = 1 / float(rate)
    assert first is not None and last is not None
    return last - first + frame_time, width, height


def task(status: dict, kind: str) -> dict:
    """The row of one task kind in a status response."""
    (row,) = [t for t in status["tasks"] if t["type"] == kind]
    return dict(row)


def tmp_files(data_dir: Path) -> list[Path]:
    """Work files left in ``<data_dir>/tmp`` (per-process dirs, ADR 0071): neither the
    per-process lock files nor the serve process's Prometheus value files (ADR 0072)."""
    return [
        p
        for p in (data_dir / "tmp").rglob("*")
        if p.is_file() and not p.name.endswith(".lock") and "prometheus" not in p.parts
    ]
