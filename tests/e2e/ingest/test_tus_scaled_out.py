"""tus across API nodes (issue 11, ADR 0070), on the session's scaled-out deployment
(``tests/e2e/scaled_out.py``: two ``vidhost serve`` nodes and two ``vidhost worker``s with
their own data dirs, one PostgreSQL database, SeaweedFS S3, a Redis broker). Upload bytes
live in S3 multipart uploads, so any node answers HEAD, PATCH, DELETE and concatenation for
any upload."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from tusclient import client as tus_client

from tests.clips import make_clip
from tests.e2e.helpers import wait_for_state
from tests.e2e.ingest.conftest import (
    OCTETS,
    TUS,
    client,
    create,
    patch,
    run_node,
    token,
)
from tests.e2e.scaled_out import Cluster
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024


@pytest.fixture
def cluster(scaled_out: Cluster) -> Cluster:
    """The session's scaled-out deployment (tests/e2e/scaled_out.py)."""
    return scaled_out


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real video of about 12 MiB (lossless noise): several 5 MiB parts."""
    path = make_clip(
        tmp_path_factory.mktemp("clip") / "noise.mp4",
        duration=3,
        width=320,
        height=240,
        audio=False,
        extra_args=["-vf", "noise=alls=100:allf=t", "-qp", "0"],
    )
    return path.read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def head(server: ServerProcess, url: str) -> httpx.Response:
    with client(server) as c:
        return c.head(url.replace(url.split("/api/")[0], server.url))


def on(server: ServerProcess, url: str) -> str:
    """The same upload URL, on another node."""
    return server.url + "/api/" + url.split("/api/", 1)[1]


def assert_ready(cluster: Cluster, video_id: str, data: bytes) -> None:
    status = wait_for_state(
        cluster.b.url, video_id, {"Authorization": f"Bearer {token('alice')}"}, {"ready", "failed"}
    )
    assert status["state"] == "ready", status
    assert sha(cluster.source(video_id)) == sha(data)


def test_patches_alternating_between_nodes_end_byte_identical_and_ready(
    cluster: Cluster, big_clip: bytes
) -> None:
    data = big_clip
    # Small bodies (each becomes the pending tail), one that completes a part with the tail
    # in front, one of several parts, and the rest.
    sizes = [100_000, 3 * MIB, 4 * MIB, 2 * MIB]
    sizes.append(len(data) - sum(sizes))
    assert sizes[-1] > 0
    with client(cluster.a) as ca, client(cluster.b) as cb:
        url = create(ca, len(data), **{"Upload-Metadata": "filename bm9pc2UubXA0"})
        upload_id = url.rsplit("/", 1)[1]
        offset = 0
        for i, size in enumerate(sizes):
            c, other = (ca, cb) if i % 2 == 0 else (cb, ca)
            node = cluster.a if i % 2 == 0 else cluster.b
            r = patch(c, on(node, url), offset, data[offset : offset + size])
            assert r.status_code == 204, r.text
            offset += size
            assert int(r.headers["upload-offset"]) == offset
            # The other node reports exactly what is durably stored.
            h = other.head(on(cluster.b if node is cluster.a else cluster.a, url))
            assert h.status_code == 200 and int(h.headers["upload-offset"]) == offset
            if i == 0:
                assert len(cluster.tails(upload_id)) == 1  # under 5 MiB: a pending tail
        video_id = h.headers["vidhost-video-id"]
    assert cluster.tails(upload_id) == []
    assert f"videos/{video_id}/source" not in cluster.multipart_keys()
    assert_ready(cluster, video_id, data)


@pytest.mark.parametrize("first", [6 * MIB, 1 * MIB], ids=["part-copy", "small-first-part"])
def test_concatenation_of_partial_uploads_made_on_different_nodes(
    cluster: Cluster, big_clip: bytes, first: int
) -> None:
    data = big_clip
    pieces = [data[:first], data[first:]]
    urls = []
    with client(cluster.a) as ca, client(cluster.b) as cb:
        for c, piece in zip((ca, cb), pieces, strict=True):
            url = create(c, len(piece), **{"Upload-Concat": "partial"})
            r = patch(c, url, 0, piece)
            assert r.status_code == 204, r.text
            urls.append(url)
        # Concatenated on node A, which stored only the first part.
        r = ca.post(
            "/api/v1/videos/tus",
            headers={"Upload-Concat": "final;" + " ".join(urls), "Upload-Metadata": ""},
        )
        assert r.status_code == 201, r.text
        final = r.headers["location"]
        h = cb.head(on(cluster.b, final))
        assert h.status_code == 200
        assert h.headers["upload-offset"] == h.headers["upload-length"] == str(len(data))
        video_id = h.headers["vidhost-video-id"]
        for url in urls:  # the partial uploads are consumed
            assert cb.head(on(cluster.b, url)).status_code == 404
    assert_ready(cluster, video_id, data)


def test_kill_9_of_node_a_mid_upload_client_resumes_on_b(
    cluster: Cluster, big_clip: bytes, tmp_path: Path
) -> None:
    data = big_clip
    path = tmp_path / "noise.mp4"
    path.write_bytes(data)
    auth = {"Authorization": f"Bearer {token('alice')}"}
    first = tus_client.TusClient(cluster.a.url + "/api/v1/videos/tus", headers=auth).uploader(
        str(path), chunk_size=3 * MIB, metadata={"filename": "noise.mp4"}
    )
    first.upload_chunk()
    first.upload_chunk()
    url = first.url
    assert first.offset == 6 * MIB
    # A PATCH in flight when node A dies: its bytes were never acknowledged.
    started = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield data[6 * MIB : 7 * MIB]
        started.set()
        time.sleep(30)
        yield b""

    def in_flight() -> None:
        headers = {**auth, **TUS, "Upload-Offset": str(6 * MIB), "Content-Type": OCTETS}
        with contextlib.suppress(httpx.HTTPError):
            httpx.patch(on(cluster.a, url), headers=headers, content=slow_body(), timeout=40)

    thread = threading.Thread(target=in_flight, daemon=True)
    thread.start()
    assert started.wait(10)
    time.sleep(0.5)
    cluster.a.kill()
    try:
        h = head(cluster.b, url)
        assert h.status_code == 200
        assert int(h.headers["upload-offset"]) == 6 * MIB  # only what was acknowledged
        # tuspy resumes on node B from HEAD's offset (with a sha1 Upload-Checksum per PATCH);
        # the dead node's lock expires (3 s).
        resumed = tus_client.TusClient(cluster.b.url + "/api/v1/videos/tus", headers=auth).uploader(
            str(path),
            url=on(cluster.b, url),
            chunk_size=4 * MIB,
            retries=10,
            retry_delay=1,
            upload_checksum=True,
        )
        assert resumed.offset == 6 * MIB
        resumed.upload()
        assert resumed.offset == len(data)
        video_id = head(cluster.b, url).headers["vidhost-video-id"]
        assert_ready(cluster, video_id, data)
    finally:
        cluster.restart_a()


def test_small_patches_and_termination_from_the_other_node(cluster: Cluster) -> None:
    data = os.urandom(300_000)
    with client(cluster.a) as ca, client(cluster.b) as cb:
        url = create(ca, None, **{"Upload-Concat": "partial"})  # deferred length, too
        upload_id = url.rsplit("/", 1)[1]
        for i in range(0, len(data), 64 * 1024):
            c, node = (ca, cluster.a) if (i // 65536) % 2 == 0 else (cb, cluster.b)
            r = patch(c, on(node, url), i, data[i : i + 64 * 1024])
            assert r.status_code == 204, r.text
        assert len(cluster.tails(upload_id)) == 1
        r = patch(cb, on(cluster.b, url), len(data), b"", **{"Upload-Length": str(len(data))})
        assert r.status_code == 204
        assert cb.head(on(cluster.b, url)).headers["upload-length"] == str(len(data))
        assert ca.delete(on(cluster.a, url)).status_code == 204
        assert cb.head(on(cluster.b, url)).status_code == 404
    assert cluster.tails(upload_id) == []
    assert f"uploads/{upload_id}" not in cluster.multipart_keys()


def test_the_sweeper_aborts_an_expired_uploads_multipart_upload(
    cluster: Cluster, tmp_path: Path
) -> None:
    with client(cluster.a) as ca:
        url = create(ca, 20 * MIB)
        upload_id = url.rsplit("/", 1)[1]
        r = patch(ca, url, 0, os.urandom(5 * MIB + 1000))  # one part (the rest is absorbed)
        assert r.status_code == 204, r.text
        r = patch(ca, url, 5 * MIB + 1000, os.urandom(1000))  # a tail
        assert r.status_code == 204, r.text
        video_id = r.headers["vidhost-video-id"]
    key = f"videos/{video_id}/source"
    assert key in cluster.multipart_keys() and len(cluster.tails(upload_id)) == 1
    with psycopg.connect(cluster.db_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(
            "UPDATE uploads SET expires_at = now() - interval '1 hour' WHERE id = %s", (upload_id,)
        )
    # `vidhost cleanup` on a third machine (its own data dir): shared storage is swept.
    out = subprocess.run(
        [sys.executable, "-m", "vidhost", "cleanup"],
        env={**os.environ, **cluster.env, "VIDHOST_DATA_DIR": str(tmp_path / "janitor")},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert f"removed upload {upload_id} reason=expired_upload" in out
    assert key not in cluster.multipart_keys()
    assert cluster.tails(upload_id) == []
    with client(cluster.b) as cb:
        assert cb.head(on(cluster.b, url)).status_code == 404


def test_seed_003_session_written_on_both_nodes_and_completed_on_the_other(
    cluster: Cluster, big_clip: bytes
) -> None:
    data = big_clip
    half = 6 * MIB
    with client(cluster.a) as ca, client(cluster.b) as cb:
        r = ca.post(
            "/api/v1/videos/upload/init",
            json={"session_id": "s-1", "filename": "noise.mp4", "file_size": len(data)},
        )
        assert r.status_code == 200, r.text
        init = r.json()
        url = init["upload_url"]
        assert patch(cb, on(cluster.b, url), 0, data[:half]).status_code == 204
        status = ca.get(f"/api/v1/videos/upload/{init['upload_id']}/status").json()
        assert status["offset"] == half and not status["completed"]
        # The last PATCH hands the video over already; /complete (on B) is idempotent.
        assert patch(ca, on(cluster.a, url), half, data[half:]).status_code == 204
        r = cb.post("/api/v1/videos/upload/complete", json={"upload_id": init["upload_id"]})
        assert r.status_code == 200, r.text
        assert r.json()["video_id"] == init["video_id"]
    assert_ready(cluster, init["video_id"], data)


def test_tus_js_client_parallel_uploads_on_s3(
    cluster: Cluster, big_clip: bytes, tus_js: Path, tmp_path: Path
) -> None:
    """tus-js-client's parallelUploads (3 partial uploads, then a final concatenation) to node
    B; HEAD on node A. Its parts are about 4 MiB, under S3's minimum part size, so the final
    upload is streamed through (the UploadPartCopy path is the concatenation test above)."""
    path = tmp_path / "noise.mp4"
    path.write_bytes(big_clip)
    env = {"VIDHOST_URL": cluster.b.url, "VIDHOST_TOKEN": token("alice"), "UPLOAD_FILE": str(path)}
    out = run_node(tus_js, "parallel.js", env)
    h = head(cluster.a, out["url"])
    assert h.headers["upload-concat"].startswith("final;")
    assert_ready(cluster, h.headers["vidhost-video-id"], big_clip)
