"""The CLI's upload fingerprint, its URL store and its size options."""

from __future__ import annotations

import os
import stat

import pytest
import typer

from vidhost.client.config import resolve, save_login
from vidhost.client.output import parse_size
from vidhost.client.resume import EDGE, ResumeStore, fingerprint


def test_fingerprint_is_stable_and_changes_with_the_file(tmp_path):
    f = tmp_path / "a.mp4"
    f.write_bytes(b"x" * (3 * EDGE))
    first = fingerprint(f, "http://s")
    assert fingerprint(f, "http://s") == first
    assert fingerprint(f, "http://other") != first
    st = f.stat()
    with open(f, "r+b") as fh:  # same size, same mtime, last MiB edited
        fh.seek(3 * EDGE - 10)
        fh.write(b"y" * 10)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert fingerprint(f, "http://s") != first
    g = tmp_path / "b.mp4"
    g.write_bytes(f.read_bytes())
    os.utime(g, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert fingerprint(g, "http://s") != fingerprint(f, "http://s")  # another path


def test_store_keeps_entries_private_and_removes_them(tmp_path):
    store = ResumeStore(tmp_path / "state" / "uploads.json")
    assert store.get("k") is None
    store.put("k", url="http://s/tus/1", videoId="v", size=3)
    store.update("k", prepared=True)
    entry = store.get("k")
    assert entry is not None
    assert (entry["url"], entry["videoId"], entry["prepared"]) == ("http://s/tus/1", "v", True)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    store.remove("k")
    assert store.entries() == {}


def test_settings_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("VIDHOST_SERVER", raising=False)
    monkeypatch.delenv("VIDHOST_TOKEN", raising=False)
    assert resolve() == resolve(None, None)
    assert resolve().server == "http://127.0.0.1:8000" and resolve().token is None
    save_login("video.example.com/", "file-token")
    assert (resolve().server, resolve().token) == ("http://video.example.com", "file-token")
    monkeypatch.setenv("VIDHOST_TOKEN", "env-token")
    assert resolve().token == "env-token"
    assert resolve(token="flag-token", server="https://x").token == "flag-token"
    assert resolve(server="https://x").headers == {"Authorization": "Bearer env-token"}


@pytest.mark.parametrize(
    ("text", "size"),
    [("262144", 262144), ("256K", 262144), ("8M", 8 << 20), ("1.5m", 3 << 19), ("1GiB", 1 << 30)],
)
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-1M", "0", "5T"])
def test_parse_size_refuses(text):
    with pytest.raises(typer.BadParameter):
        parse_size(text)
