"""Issue 11 operations (ADR 0071): concurrent first start, worker node names, no orphans,
configuration that can't silently disagree. Real processes, real PostgreSQL/Redis/RabbitMQ."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.clips import make_clip
from tests.e2e.helpers import AUTH_ENV, SECRET, auth, upload, wait_for_state
from tests.pg import ADMIN_URL, temporary_database
from tests.server import ServerProcess, free_port

pytestmark = pytest.mark.e2e

BROKERS = {
    "redis": "redis://127.0.0.1:6379/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


def vidhost(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vidhost", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_all(servers: list[ServerProcess]) -> list[BaseException]:
    """Start every server at the same moment (one thread each); the errors."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(servers))

    def start(server: ServerProcess) -> None:
        barrier.wait()
        try:
            server.start(timeout=120)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


# --- item 2: concurrent first start ---------------------------------------------------------


def test_four_serves_start_at_once_on_a_fresh_postgres_database(tmp_path: Path) -> None:
    with temporary_database() as db_url:
        env = {**AUTH_ENV, "VIDHOST_DATABASE_URL": db_url, "VIDHOST_EMBEDDED_WORKER": "false"}
        servers = [ServerProcess(tmp_path / f"node{i}", env) for i in range(4)]
        try:
            errors = start_all(servers)
            assert not errors, errors
            for server in servers:
                assert httpx.get(server.url + "/healthz").status_code == 200
        finally:
            for server in servers:
                server.stop()


def test_four_serves_start_at_once_on_a_fresh_sqlite_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "shared"
    env = {**AUTH_ENV, "VIDHOST_EMBEDDED_WORKER": "false"}
    servers = [ServerProcess(data, env) for _ in range(4)]
    try:
        errors = start_all(servers)
        assert not errors, errors
        for server in servers:
            assert httpx.get(server.url + "/healthz").status_code == 200
    finally:
        for server in servers:
            server.stop()


def _orphans(storage: Path, count: int) -> set[str]:
    """Objects of videos that have no record, two days old: cleanup removes them."""
    old = time.time() - 2 * 86400
    keys = set()
    for i in range(count):
        key = f"videos/{uuid.uuid4()}/hls/{i}.ts"
        path = storage / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, (old, old))
        keys.add(key)
    return keys


@pytest.mark.parametrize("database", ["postgres", "sqlite"])
def test_four_concurrent_cleanups_never_crash(database: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    keys = _orphans(data / "storage", 60)

    def run(env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
        results: list[subprocess.CompletedProcess[str]] = []
        barrier = threading.Barrier(4)

        def one() -> None:
            barrier.wait()
            results.append(vidhost("cleanup", env=env))

        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    env = {"VIDHOST_DATA_DIR": str(data), "VIDHOST_JWT_SECRET": SECRET}
    if database == "postgres":
        with temporary_database() as db_url:  # fresh: the four also race to migrate it
            results = run({**env, "VIDHOST_DATABASE_URL": db_url})
    else:
        results = run(env)
    assert len(results) == 4  # a thread that raised (a timeout) appends nothing
    for r in results:
        assert r.returncode == 0, r.stderr[-3000:]
        assert "Traceback" not in r.stderr and "failed" not in r.stderr, r.stderr[-3000:]
    removed = {
        line.split()[2]
        for r in results
        for line in r.stdout.splitlines()
        if line.startswith("removed object ")
    }
    assert removed == keys  # the four sweeps together removed each object
    assert not any((data / "storage" / k).exists() for k in keys)


# --- item 3: worker node names ----------------------------------------------------------------


def _worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "vidhost", "worker", "--concurrency", "1", *args],
        env={**os.environ, **env},
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_for_text(
    path: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        assert proc.poll() is None, path.read_text(errors="replace")[-3000:]
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in {path.name}: " + path.read_text()[-3000:])


@pytest.mark.parametrize("broker", ["rabbitmq"])
def test_two_workers_on_one_host_both_consume(broker: str, tmp_path: Path) -> None:
    """RabbitMQ (its pidbox queue is exclusive). Two Redis workers on one host are the
    session's scaled-out deployment (tests/e2e/processing/test_recovery.py)."""
    data = tmp_path / "data"
    env = {
        **AUTH_ENV,
        "VIDHOST_DATA_DIR": str(data),
        "VIDHOST_BROKER_URL": BROKERS[broker],
        "VIDHOST_QUEUE": f"vidhost-test-{uuid.uuid4().hex[:8]}",
        "VIDHOST_EMBEDDED_WORKER": "false",
        "VIDHOST_X264_PRESET": "ultrafast",
        "VIDHOST_LADDER_HEIGHTS": "[240]",
        "VIDHOST_LOG_LEVEL": "INFO",
    }
    api = ServerProcess(data, env).start()
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    metrics_port = free_port()
    first_env = {**env, "VIDHOST_WORKER_METRICS_PORT": str(metrics_port)}
    first_env["VIDHOST_METRICS_TOKEN"] = "worker-metrics-token"
    workers = [_worker(first_env, logs[0]), _worker(env, logs[1], "--name", "second")]
    try:
        for proc, log in zip(workers, logs, strict=True):
            _wait_for_text(log, " ready.", proc)
        text = logs[0].read_text()
        assert f"vidhost-worker@{os.uname().nodename}.{workers[0].pid}" in text
        assert f"second@{os.uname().nodename}" in logs[1].read_text()
        clip = make_clip(tmp_path / "clip.mp4", duration=1, width=160, height=120)
        alice = auth("alice")
        ids = [upload(api.url, clip, alice) for _ in range(6)]
        for video_id in ids:
            status = wait_for_state(api.url, video_id, alice, {"ready", "failed"}, timeout=120)
            assert status["state"] == "ready", (status, api.log())
        for proc, log in zip(workers, logs, strict=True):
            assert proc.poll() is None, log.read_text()[-3000:]
            assert "succeeded" in log.read_text(), log.read_text()[-3000:]  # each did work
        # A standalone worker serves its own task metrics (VIDHOST_WORKER_METRICS_PORT).
        worker_metrics = f"http://127.0.0.1:{metrics_port}/metrics"
        assert httpx.get(worker_metrics).status_code == 401
        r = httpx.get(worker_metrics, headers={"Authorization": "Bearer worker-metrics-token"})
        assert r.status_code == 200
        done = [
            s.value
            for family in text_string_to_metric_families(r.text)
            for s in family.samples
            if s.name == "vidhost_tasks_finished_total"
            and s.labels == {"kind": "transcode", "outcome": "completed"}
        ]
        assert done and done[0] >= 1, r.text[-2000:]
    finally:
        for proc in workers:
            proc.terminate()
            proc.wait(timeout=30)
        api.stop()


# --- item 5: nothing is orphaned ------------------------------------------------------------


def _ffmpeg_children(proc: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in proc.children(recursive=True):
        try:
            if "ffmpeg" in child.name() or any("ffmpeg" in a for a in child.cmdline()[:1]):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _encodes_video(proc: psutil.Process) -> bool:
    try:
        return "libx264" in proc.cmdline()
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def slow_server(tmp_path: Path) -> Iterator[ServerProcess]:
    env = {**AUTH_ENV, "VIDHOST_X264_PRESET": "veryslow", "VIDHOST_LADDER_HEIGHTS": "[480]"}
    # One chunk for the whole clip: a long encode (ADR 0060 cuts the ladder into chunks).
    env |= {"VIDHOST_CHUNK_SECONDS": "30", "VIDHOST_FIRST_CHUNK_SECONDS": "30"}
    server = ServerProcess(tmp_path / "data", env).start()
    yield server
    server.stop()


def test_kill_9_of_a_worker_leaves_no_ffmpeg_and_its_files_are_swept(
    slow_server: ServerProcess, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=20, width=854, height=480)
    alice = auth("alice")
    upload(slow_server.url, clip, alice)
    assert slow_server.proc is not None
    serve = psutil.Process(slow_server.proc.pid)
    deadline = time.monotonic() + 60
    ffmpeg: list[psutil.Process] = []
    while time.monotonic() < deadline and not ffmpeg:
        ffmpeg = [p for p in _ffmpeg_children(serve) if _encodes_video(p)]  # not the poster
        time.sleep(0.1)
    assert ffmpeg, "no ffmpeg started"
    worker = ffmpeg[0].parent()
    assert worker is not None and worker.pid != serve.pid
    time.sleep(1.0)  # ffmpeg is well into the (long) encode
    assert ffmpeg[0].is_running()
    tmp_root = slow_server.data_dir / "tmp"
    worker_dirs = [
        d for d in tmp_root.iterdir() if d.name.startswith(f"p{worker.pid}-") and d.is_dir()
    ]
    assert worker_dirs and any(worker_dirs[0].iterdir())  # the worker's work files
    os.kill(worker.pid, signal.SIGKILL)
    _gone, alive = psutil.wait_procs(ffmpeg, timeout=5)
    assert not alive, [p.cmdline()[:3] for p in alive]
    # The supervisor starts a new worker; at start it sweeps the dead one's directory.
    deadline = time.monotonic() + 30
    while worker_dirs[0].exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not worker_dirs[0].exists()
    assert not Path(str(worker_dirs[0]) + ".lock").exists()


def test_stale_temporary_files_are_swept_at_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tmp_root = data / "tmp"
    tmp_root.mkdir(parents=True)
    # A process that made its directory, wrote a file and was killed.
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from vidhost.media.process import own_tmp_dir;"
            "d = own_tmp_dir(Path(sys.argv[1])); (d / 'hls-x').mkdir();"
            "(d / 'hls-x' / 'seg.ts').write_bytes(b'x' * 1000); print(d, flush=True);"
            "time.sleep(60)",
            str(tmp_root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    dead_dir = Path(child.stdout.readline().strip())
    # A live one (this test process holds its lock) must be left alone.
    live = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from vidhost.media.process import own_tmp_dir;"
            "d = own_tmp_dir(Path(sys.argv[1])); (d / 'work').write_bytes(b'x');"
            "print(d, flush=True); time.sleep(60)",
            str(tmp_root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert live.stdout is not None
    live_dir = Path(live.stdout.readline().strip())
    child.kill()
    child.wait()
    old = time.time() - 3 * 86400
    legacy = tmp_root / "upload-legacy"  # loose file of an older version, days old
    legacy.write_bytes(b"x")
    os.utime(legacy, (old, old))
    fresh = tmp_root / "put-fresh"  # loose and recent: maybe in use, kept
    fresh.write_bytes(b"x")
    try:
        r = vidhost("cleanup", env={"VIDHOST_DATA_DIR": str(data)})
        assert r.returncode == 0, r.stderr
        assert not dead_dir.exists()
        assert not Path(str(dead_dir) + ".lock").exists()
        assert not legacy.exists()
        assert fresh.exists()
        assert (live_dir / "work").exists()
    finally:
        live.kill()
        live.wait()


# --- item 6: configuration that can't silently disagree --------------------------------------


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_refuses_to_start_without_jwt_secret_on_postgres(command: str, tmp_path: Path) -> None:
    env = {
        "VIDHOST_DATA_DIR": str(tmp_path / "data"),
        "VIDHOST_DATABASE_URL": ADMIN_URL,
        "VIDHOST_BROKER_URL": BROKERS["redis"],
    }
    r = vidhost(command, *(["--port", str(free_port())] if command == "serve" else []), env=env)
    assert r.returncode == 2, (r.stdout, r.stderr[-2000:])
    assert "VIDHOST_JWT_SECRET is required" in r.stderr
    assert "Traceback" not in r.stderr


def test_check_config_embedded(tmp_path: Path) -> None:
    r = vidhost("check-config", env={"VIDHOST_DATA_DIR": str(tmp_path / "data")})
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "profile: embedded"
    by_part = {line.split(":", 1)[0]: line for line in lines}
    assert by_part["database"].startswith("database: sqlite ")
    assert "[ok]" in by_part["database"] and "not created yet" in by_part["database"]
    assert by_part["storage"].startswith("storage: local ") and "[ok]" in by_part["storage"]
    assert by_part["broker"].startswith("broker: embedded ") and "[ok]" in by_part["broker"]
    assert by_part["events"].startswith("events: local")
    assert by_part["jwt_secret"] == "jwt_secret: generated in the data dir [ok]"
    assert by_part["result"] == "result: ok"
    assert not (tmp_path / "data" / "vidhost.db").exists()  # read-only: nothing created


def test_check_config_scaled_out_reachable_and_not(tmp_path: Path) -> None:
    base = {
        "VIDHOST_DATA_DIR": str(tmp_path / "data"),
        "VIDHOST_DATABASE_URL": ADMIN_URL.replace("postgres@", "postgres:hunter2@"),
        "VIDHOST_JWT_SECRET": SECRET,
        "VIDHOST_EVENTS": "redis",
        "VIDHOST_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    for broker in BROKERS.values():
        r = vidhost("check-config", env={**base, "VIDHOST_BROKER_URL": broker})
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.startswith("profile: scaled-out\n")
        assert "hunter2" not in r.stdout  # passwords never printed
        for part in ("database", "broker", "events"):
            line = next(x for x in r.stdout.splitlines() if x.startswith(part + ":"))
            assert "[ok]" in line and "reachable" in line, line

    closed = free_port()
    r = vidhost(
        "check-config",
        "--timeout",
        "2",
        env={
            **{k: v for k, v in base.items() if k != "VIDHOST_JWT_SECRET"},
            "VIDHOST_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{closed}//",
            "VIDHOST_REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        },
    )
    assert r.returncode == 1, r.stdout + r.stderr
    lines = {x.split(":", 1)[0]: x for x in r.stdout.splitlines()}
    assert "[FAIL] unreachable" in lines["broker"], lines["broker"]
    assert "[FAIL] unreachable" in lines["events"], lines["events"]
    assert "[ok]" in lines["database"]
    assert (
        "[FAIL]" in lines["jwt_secret"] and "VIDHOST_JWT_SECRET is required" in lines["jwt_secret"]
    )
    assert "Traceback" not in r.stderr
