"""vidhost installed as an operator installs it (issue 20): ``pip install -c constraints.txt
<checkout>`` into a clean virtualenv, not editable and without the ``test``/``dev`` extras,
then that venv's ``vidhost serve`` and ``vidhost worker`` run the scaled-out profile
(PostgreSQL, S3, and a Redis or a RabbitMQ broker, docs/deploy.md) and process a video.

The test extras bring packages vidhost itself may import without declaring them (pytest
brings ``packaging``, which kombu's Redis transport needs): only such an install shows a
missing runtime dependency. The venv is built once per module from a copy of the checkout's
working tree (pip builds in the source tree, and setuptools' ``build/`` would otherwise keep
modules the tree no longer has); pip's wheel cache keeps it to about half a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.clips import make_clip
from tests.e2e.app.test_profiles import BROKERS
from tests.e2e.helpers import AUTH_ENV, auth, playlist_uris, upload, wait_for_state
from tests.e2e.scaled_out import WORKER_ENV, Worker
from tests.pg import temporary_database
from tests.s3 import SeaweedS3, new_bucket
from tests.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
"""The venv holds the speech recognizer and its model (about 400 MB, ADR 0069): building it
takes minutes on a loaded two-core machine."""

CHECKOUT = Path(__file__).resolve().parents[3]
LOCK = CHECKOUT / "constraints.txt"
SOURCE_FILES = ("pyproject.toml", "README.md", "vidhost")
"""What building vidhost reads from the checkout (pyproject.toml names the rest)."""

EXTRAS = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"][
    "optional-dependencies"
]
TOOLS = sorted({canonicalize_name(Requirement(r).name) for r in EXTRAS["test"] + EXTRAS["dev"]})
"""The distributions of the ``test`` and ``dev`` extras: none may be in the user's venv."""
CLEAN = {"PYTHONPATH": ""}
"""Nothing but the venv on the path of what the venv runs (CPython ignores an empty value)."""


def run(*args: str | Path, cwd: Path, timeout: float = 600) -> str:
    env = {**os.environ, **CLEAN}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with ``pip install -c constraints.txt <checkout>`` in it, nothing else."""
    root = tmp_path_factory.mktemp("user-install")
    source = root / "source"
    source.mkdir()
    for name in SOURCE_FILES:
        path = CHECKOUT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    venv = root / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=root)
    pip = (venv / "bin" / "python", "-m", "pip", "install", "-q", "-c", LOCK)
    run(*pip, "pip", cwd=root)  # the locked pip, which knows --build-constraint
    run(*pip, "--build-constraint", LOCK, source, cwd=root)
    return venv


def test_the_user_install_has_its_declared_needs_and_none_of_the_test_tools(
    user_venv: Path,
) -> None:
    """Every vidhost module, and the broker transports the profiles use, import in the user's
    venv; the install is vidhost's own copy, not editable, and has no test tool."""
    probe = f"""
import importlib, importlib.metadata as md, json, pkgutil, re, vidhost
installed = {{re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() for d in md.distributions()}}
failed = {{}}
names = [m.name for m in pkgutil.walk_packages(vidhost.__path__, "vidhost.")]
names += ["kombu.transport.redis", "kombu.transport.pyamqp", "kombu.transport.sqlalchemy"]
names += ["faster_whisper", "ctranslate2"]  # the captions child's (ADR 0069)
from vidhost.media.speech_model import WHISPER_BASE, package_dirs
model_parts = [str(d) for d in package_dirs(WHISPER_BASE)]
for name in names:
    if name == "vidhost.__main__":
        continue
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = repr(exc)
print(json.dumps({{
    "file": vidhost.__file__,
    "modules": len(names),
    "failed": failed,
    "tools": [d for d in {TOOLS!r} if d in installed],
    "direct_url": md.distribution("vidhost").read_text("direct_url.json"),
    "model_parts": model_parts,
}}))
"""
    found = json.loads(run(user_venv / "bin" / "python", "-c", probe, cwd=user_venv))
    assert Path(found["file"]).is_relative_to(user_venv), found["file"]
    assert found["modules"] > 150
    assert found["failed"] == {}
    assert "pytest" in TOOLS and found["tools"] == []
    assert not json.loads(found["direct_url"]).get("dir_info", {}).get("editable", False)
    # the bundled speech model's packages are installed in the user's venv
    assert len(found["model_parts"]) == 2
    assert all(Path(p).is_relative_to(user_venv) for p in found["model_parts"])


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_the_user_install_serves_and_processes_on_postgres_s3_and_the_broker(
    broker: str, user_venv: Path, seaweed: SeaweedS3, tmp_path: Path
) -> None:
    """The venv's ``vidhost serve`` (no embedded worker) and ``vidhost worker``, each with its
    own data dir as docs/deploy.md runs them: a short upload becomes ready and its HLS master
    playlist, a variant and the variant's first segment are served."""
    vidhost = (str(user_venv / "bin" / "vidhost"),)
    clip = make_clip(tmp_path / "clip.mp4", duration=3, width=320, height=240, source="testsrc")
    with temporary_database() as db_url:
        env = {
            **AUTH_ENV,
            **seaweed.env(new_bucket()),
            "VIDHOST_DATABASE_URL": db_url,
            "VIDHOST_BROKER_URL": BROKERS[broker],
            "VIDHOST_QUEUE": f"vidhost-user-install-{uuid.uuid4().hex[:8]}",
            "VIDHOST_EMBEDDED_WORKER": "false",
            **CLEAN,
        }
        api = ServerProcess(tmp_path / "api", env, command=vidhost)
        worker = Worker("user-install", tmp_path / "worker", {**env, **WORKER_ENV}, command=vidhost)
        try:
            api.start()
            worker.start()
            alice = auth("alice")
            video_id = upload(api.url, clip, alice)
            status = wait_for_state(api.url, video_id, alice, {"ready", "failed"})
            assert status["state"] == "ready", (status, api.log(), worker.log()[-3000:])
            master = httpx.get(status["playbackUrl"], headers=alice, timeout=30)
            assert master.status_code == 200, master.text
            assert master.text.startswith("#EXTM3U") and "#EXT-X-STREAM-INF" in master.text
            variant_url = urljoin(str(master.url), playlist_uris(master.text)[0])
            variant = httpx.get(variant_url, headers=alice, timeout=30)
            assert variant.status_code == 200 and variant.text.startswith("#EXTM3U"), variant.text
            first_url = urljoin(variant_url, playlist_uris(variant.text)[0])
            first = httpx.get(first_url, headers=alice, timeout=60)
            assert first.status_code == 200 and len(first.content) > 0
            assert worker.alive(), worker.log()[-3000:]
        finally:
            worker.stop()
            api.stop()
