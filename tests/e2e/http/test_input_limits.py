"""Input limits against a real ``vidhost serve``: JSON bodies, metadata, form fields and
request headers are bounded (issue 14), and a bearer token must expire."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import psutil
import pytest

from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token

pytestmark = pytest.mark.e2e

SECRET = "jwt-secret-for-input-limit-tests-0123456789"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"VIDHOST_JWT_SECRET": SECRET, "VIDHOST_EMBEDDED_WORKER": "false"}
    proc = ServerProcess(tmp_path_factory.mktemp("limits"), env).start()
    yield proc
    proc.stop()


def auth(user: str = "alice") -> dict[str, str]:
    return {"authorization": f"Bearer {issue_token(SECRET, user)}"}


def test_json_bodies_over_1_mib_are_413_however_they_are_sent(server: ServerProcess) -> None:
    url = server.url + "/api/videos/init"
    big = json.dumps({"metadata": {"x": "a" * (2 * MIB)}}).encode()
    for kwargs in (
        {"content": big, "headers": {**auth(), "content-type": "application/json"}},
        {"content": big, "headers": {**auth(), "content-type": "text/plain"}},
        # chunked: no Content-Length to refuse up front, counted while it arrives
        {
            "content": iter([big[i : i + 65536] for i in range(0, len(big), 65536)]),
            "headers": {**auth(), "content-type": "application/json"},
        },
    ):
        r = httpx.post(url, timeout=30, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "request_too_large"
    # the webhook and post APIs have the same cap
    r = httpx.post(server.url + "/api/webhooks", content=big, headers=auth(), timeout=30)
    assert r.status_code == 413 and r.json()["code"] == "request_too_large"


def test_metadata_is_capped_in_size_and_keys(server: ServerProcess) -> None:
    init = server.url + "/api/videos/init"
    ok = httpx.post(init, json={"metadata": {"note": "a" * 15000}}, headers=auth())
    assert ok.status_code == 200, ok.text
    for metadata, code in (
        ({"note": "a" * (16 * 1024)}, "metadata_too_large"),
        ({"nested": {"deep": ["b" * 9000, "c" * 9000]}}, "metadata_too_large"),
        ({f"k{i}": i for i in range(65)}, "too_many_metadata_keys"),
    ):
        r = httpx.post(init, json={"metadata": metadata}, headers=auth())
        assert r.status_code == 400 and r.json()["code"] == code, r.text
        body = {"filename": "a.mp4", "fileSize": 10, "mimeType": "video/mp4", "metadata": metadata}
        r = httpx.post(server.url + "/api/videos/upload-url", json=body, headers=auth())
        assert r.status_code == 400 and r.json()["code"] == code, r.text
    listed = httpx.get(server.url + "/api/videos", headers=auth()).json()
    assert len(json.dumps(listed)) < 100_000  # nothing oversized was stored


def test_tus_metadata_and_upload_bodies(server: ServerProcess) -> None:
    tus = server.url + "/api/v1/videos/tus"
    headers = {**auth(), "tus-resumable": "1.0.0"}
    many = ",".join(f"k{i} {base64.b64encode(b'v').decode()}" for i in range(65))
    r = httpx.post(tus, headers={**headers, "upload-length": "10", "upload-metadata": many})
    assert r.status_code == 400 and r.json()["code"] == "too_many_metadata_keys", r.text
    huge = "title " + base64.b64encode(b"t" * 7000).decode()
    r = httpx.post(tus, headers={**headers, "upload-length": "10", "upload-metadata": huge})
    assert r.status_code == 400 and r.json()["code"] == "invalid_metadata", r.text

    # upload routes stream past the JSON cap: a 3 MiB tus PATCH is fine (the upload is
    # left one byte short, so the bytes are stored and never probed as a video)
    size = 3 * MIB
    created = httpx.post(tus, headers={**headers, "upload-length": str(size + 1)})
    assert created.status_code == 201, created.text
    patch = httpx.patch(
        created.headers["location"],
        content=os.urandom(size),
        headers={
            **headers,
            "upload-offset": "0",
            "content-type": "application/offset+octet-stream",
        },
        timeout=60,
    )
    assert patch.status_code == 204, patch.text
    assert patch.headers["upload-offset"] == str(size)


def test_upload_form_fields_are_bounded(server: ServerProcess) -> None:
    fields = {f"f{i}": "x" for i in range(40)}
    files = {"file": ("a.mp4", b"\0" * 100, "video/mp4")}
    r = httpx.post(server.url + "/upload", data=fields, files=files, headers=auth())
    assert r.status_code == 400 and r.json()["code"] == "too_many_fields", r.text
    big = {"a": "x" * 40_000, "b": "y" * 40_000}
    r = httpx.post(server.url + "/upload", data=big, files=files, headers=auth())
    assert r.status_code == 400 and r.json()["code"] == "field_too_large", r.text
    r = httpx.post(
        server.url + "/upload", data={"client_id": "c" * 300}, files=files, headers=auth()
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_client_id", r.text


def _raw(server: ServerProcess, head: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(head)
        return _read_all(s)


def _read_all(s: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_too_many_or_too_large_headers_get_431_json(server: ServerProcess) -> None:
    lines = b"".join(b"x-h%d: v\r\n" % i for i in range(101))
    reply = _raw(server, b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + lines + b"\r\n")
    assert reply.startswith(b"HTTP/1.1 431 "), reply[:200]
    body = json.loads(reply.split(b"\r\n\r\n", 1)[1])
    assert body["code"] == "request_header_too_large"
    big = b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 70_000 + b"\r\n\r\n"
    assert _raw(server, big).startswith(b"HTTP/1.1 431 ")
    url = b"GET /healthz?" + b"q" * 70_000 + b" HTTP/1.1\r\nhost: x\r\n\r\n"
    assert _raw(server, url).startswith(b"HTTP/1.1 431 ")
    # ordinary requests, and many headers within the limits, are untouched
    fine = b"".join(b"x-h%d: %s\r\n" % (i, b"v" * 500) for i in range(90))
    ok = _raw(server, b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n" + fine + b"\r\n")
    assert ok.startswith(b"HTTP/1.1 200 ")


def test_a_64_mib_header_is_refused_early_without_memory_growth(server: ServerProcess) -> None:
    assert server.proc is not None
    process = psutil.Process(server.proc.pid)
    before = process.memory_info().rss
    replies: list[bytes] = []
    sent: list[int] = []

    def attack() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ")
            chunk, total = b"a" * MIB, 0
            try:
                for _ in range(64):
                    s.sendall(chunk)
                    total += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            sent.append(total)
            replies.append(_read_all(s))

    started = time.monotonic()
    threads = [threading.Thread(target=attack) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    elapsed = time.monotonic() - started
    grew = process.memory_info().rss - before
    assert elapsed < 10
    assert all(r.startswith(b"HTTP/1.1 431 ") for r in replies), [r[:80] for r in replies]
    assert all(total < 64 * MIB for total in sent)  # the server hung up before the end
    assert grew < 50 * MIB, f"RSS grew by {grew / MIB:.0f} MiB"
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_tokens_without_exp_are_refused(server: ServerProcess, tmp_path: Path) -> None:
    forever = jwt.encode({"sub": "alice", "iat": int(time.time())}, SECRET, "HS256")
    r = httpx.get(server.url + "/api/webhooks", headers={"authorization": f"Bearer {forever}"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token", r.text
    assert httpx.get(server.url + "/api/webhooks", headers=auth()).status_code == 200

    def token(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "VIDHOST_JWT_SECRET": SECRET, "VIDHOST_DATA_DIR": str(tmp_path)}
        return subprocess.run(
            [sys.executable, "-m", "vidhost", "token", "--user", "bob", *args],
            env=env,
            capture_output=True,
            text=True,
        )

    issued = token("--ttl", "60")
    assert issued.returncode == 0, issued.stderr
    claims = jwt.decode(issued.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 60
    bearer = {"authorization": f"Bearer {issued.stdout.strip()}"}
    assert httpx.get(server.url + "/api/webhooks", headers=bearer).status_code == 200
    assert token("--ttl", str(400 * 86400)).returncode != 0  # past the 366-day maximum
