"""A newcomer's first hour, from the README alone (issue 24).

A fresh per-user data dir, ``vidhost serve`` on a chosen port; its banner comes last, with
the sign-in link opened in Chromium (Playwright). Then the README's own lines, run as written
from another directory: ``TOKEN=$(.venv/bin/vidhost token)`` and the ``curl`` upload. The
video appears in the signed-in browser's library and plays: the link, the token and the
upload are one user, and the commands found the server's data dir by themselves.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.clips import make_clip
from tests.server import free_port

pytestmark = pytest.mark.e2e

CHECKOUT = Path(__file__).resolve().parents[3]
README = CHECKOUT / "README.md"
LINK = re.compile(r"Sign in to the vidhost web app[^:]*: (\S+)")
FAST = {
    "VIDHOST_LADDER_HEIGHTS": "[360, 240]",
    "VIDHOST_X264_PRESET": "ultrafast",
    "VIDHOST_SEGMENT_SECONDS": "1",
}
"""Only to keep the test short: the README's steps do not depend on them."""


def readme_lines(prefix: str) -> list[str]:
    """The README's ``sh`` lines that start with ``prefix`` (comments dropped)."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.S)
    lines = [line.split("  #")[0].rstrip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(prefix)]


class Home:
    """A user with no vidhost data yet: their own HOME and XDG_DATA_HOME, no VIDHOST_*."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDHOST_", "XDG_"))}
        self.env.update(
            HOME=str(root / "home"),
            XDG_DATA_HOME=str(root / "home" / ".local" / "share"),
            PYTHONPATH=str(CHECKOUT),
        )
        self.data_dir = root / "home" / ".local" / "share" / "vidhost"
        # ".venv/bin/vidhost" as the README writes it: this interpreter's vidhost
        self.checkout = root / "checkout"
        venv_bin = self.checkout / ".venv" / "bin"
        venv_bin.mkdir(parents=True)
        launcher = venv_bin / "vidhost"
        launcher.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m vidhost "$@"\n')
        launcher.chmod(0o755)

    def vidhost(
        self, *args: str, cwd: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.checkout / ".venv" / "bin" / "vidhost"), *args],
            cwd=cwd, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip


class Serve:
    def __init__(self, home: Home, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = home.root / "serve.log"
        cwd = home.root / "somewhere"  # not where the token command runs, nor the data dir
        cwd.mkdir()
        self.proc = subprocess.Popen(
            [str(home.checkout / ".venv" / "bin" / "vidhost"), "serve", "--port", str(port)],
            cwd=cwd, env={**home.env, **FAST}, stdout=open(self.log, "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def banner(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.text()[-3000:]
            text = self.text()
            if "vidhost is ready" in text and LINK.search(text):
                return text[text.index("vidhost is ready") :]
            time.sleep(0.2)
        raise AssertionError(f"no banner:\n{self.text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        )
        try:
            yield b
        finally:
            b.close()


def test_make_run_takes_the_port_and_host() -> None:
    assert readme_lines("make run")[0].startswith("make run"), "the quickstart opens with make run"
    assert "make run PORT=9000" in README.read_text()
    out = subprocess.run(
        ["make", "-s", "-n", "-C", str(CHECKOUT), "run", "PORT=9123", "HOST=0.0.0.0"],
        capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")},
    ).stdout.splitlines()  # fmt: skip
    assert "vidhost serve --host 0.0.0.0 --port 9123" in out[-1], out
    shell_host = subprocess.run(  # zsh exports HOST=<machine name>: it must not move the bind
        ["make", "-s", "-n", "-C", str(CHECKOUT), "run"],
        capture_output=True, text=True, check=True, env={**os.environ, "HOST": "example"},
    ).stdout.splitlines()  # fmt: skip
    assert "--host" not in shell_host[-1], shell_host


def test_from_the_readme_to_the_browser_as_one_user(browser: Browser, tmp_path: Path) -> None:
    home = Home(tmp_path)
    elsewhere = tmp_path / "elsewhere"  # where the newcomer runs the README's commands
    elsewhere.mkdir()
    make_clip(elsewhere / "my-video.mp4", duration=4, width=640, height=360)

    # Before any server: a token would be signed with a secret the server never sees.
    refused = home.vidhost("token", cwd=elsewhere)
    assert refused.returncode == 2, refused.stderr
    assert str(home.data_dir) in refused.stderr and "vidhost serve" in refused.stderr
    assert not (home.data_dir / "jwt_secret").exists()

    port = free_port()
    server = Serve(home, port)
    try:
        banner = server.banner()
        assert f"URL:       {server.url}/" in banner
        assert f"Data dir:  {home.data_dir}" in banner and "Logs:" in banner
        link = LINK.search(banner)
        assert link and link.group(1).startswith(f"{server.url}/sign-in#code=")
        time.sleep(8)  # the embedded worker has started by now: nothing is printed after
        assert server.text().rstrip().endswith(banner.rstrip()), server.text()[-2000:]
        assert "alembic" not in server.text()  # no migration chatter before it either

        # The printed link signs the browser in.
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(link.group(1))
        page.wait_for_url(f"{server.url}/")
        page.get_by_role("heading", name="Library").wait_for()
        browser_token = page.evaluate("localStorage.getItem('vidhost.token')")
        assert browser_token

        # The README's lines, as written, from another directory (the port is this test's).
        token_line, upload_line = readme_lines("TOKEN=")[0], readme_lines("curl -s -H")[0]
        assert "-F file=@my-video.mp4" in upload_line and upload_line.endswith("/upload")
        script = "\n".join(
            ["set -e", f"cd {shlex.quote(str(home.checkout))}", token_line,
             f"cd {shlex.quote(str(elsewhere))}", upload_line]
        ).replace("127.0.0.1:8000", f"127.0.0.1:{port}")  # fmt: skip
        script = script.replace(".venv/bin/vidhost", str(home.checkout / ".venv/bin/vidhost"))
        done = subprocess.run(
            ["bash", "-c", script], env=home.env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr
        assert f"data dir {home.data_dir}" in done.stderr  # the command said which one it used
        video_id = json.loads(done.stdout)["videoId"]

        # The same user: the video is in the signed-in browser's library, and plays there.
        page.locator(f'[data-video-id="{video_id}"]').first.wait_for(timeout=90_000)
        who = httpx.get(
            f"{server.url}/api/auth/session", headers={"Authorization": f"Bearer {browser_token}"}
        ).json()
        assert who["user"] == "anonymous"
        page.goto(f"{server.url}/videos/{video_id}")
        page.get_by_role("button", name="Play").click(timeout=120_000)
        page.wait_for_function(
            "() => document.querySelector('video').currentTime > 1", timeout=90_000
        )
        context.close()

        # Server-side commands from yet another directory use the same data dir, and what
        # they make is accepted: a Mux access token lists the same user's video.
        created = home.vidhost("access-token", "create", "--json", cwd=tmp_path)
        assert created.returncode == 0, created.stderr
        assert f"data dir {home.data_dir}" in created.stderr
        pair = json.loads(created.stdout)
        assets = httpx.get(f"{server.url}/video/v1/assets", auth=(pair["id"], pair["secret"]))
        assert assets.status_code == 200, assets.text
        assert video_id in {a["id"] for a in assets.json()["data"]}  # the same user's asset
        other = home.vidhost("token", "--user", "bob", cwd=Path("/"))
        assert other.returncode == 0, other.stderr
        bob = {"Authorization": f"Bearer {other.stdout.strip()}"}
        assert httpx.get(f"{server.url}/api/videos", headers=bob).json()["total"] == 0
        cleanup = home.vidhost("cleanup", "--dry-run", cwd=tmp_path)
        assert cleanup.returncode == 0 and f"data dir {home.data_dir}" in cleanup.stderr
        assert (
            not (tmp_path / "vidhost-data").exists() and not (elsewhere / "vidhost-data").exists()
        )
    finally:
        server.stop()
