"""One data dir, one user (issue 24): where the data dir is when none is given, what
``serve``'s banner says, and the older ``./vidhost-data`` pointed out."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidhost.app.banner import banner, data_dir_source, legacy_hint, token_command
from vidhost.app.settings import Settings, default_data_dir, loopback_bind, metrics_closed


def test_the_default_data_dir_is_per_user_not_the_current_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VIDHOST_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Settings().data_dir == tmp_path / "xdg" / "vidhost"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")  # the spec: absolute paths only
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".local" / "share" / "vidhost"
    assert data_dir_source(None).startswith("the per-user default")
    monkeypatch.setenv("VIDHOST_DATA_DIR", str(tmp_path / "d"))
    assert Settings().data_dir == tmp_path / "d"
    assert data_dir_source(None) == "VIDHOST_DATA_DIR"
    assert data_dir_source(tmp_path) == "--data-dir"


def test_one_user_under_its_new_and_its_old_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIDHOST_DEFAULT_USER", raising=False)
    monkeypatch.delenv("VIDHOST_ANONYMOUS_USER", raising=False)
    assert Settings().default_user == "anonymous"
    monkeypatch.setenv("VIDHOST_ANONYMOUS_USER", "old")
    assert Settings().default_user == "old"
    monkeypatch.setenv("VIDHOST_DEFAULT_USER", "maria")
    assert Settings().default_user == "maria"


def test_the_banner_names_the_link_user_data_dir_and_logs(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, port=9000, default_user="maria")
    text = banner(s, given=tmp_path, sign_in_link="http://x/sign-in#code=c", log_level="INFO")
    assert "URL:       http://127.0.0.1:9000/" in text
    assert "(one-time link, valid 1 h, as maria): http://x/sign-in#code=c" in text
    assert f"vidhost token --data-dir {tmp_path}" in text  # the same data dir as serve's
    assert f"Data dir:  {tmp_path}  (--data-dir)" in text and "Logs:" in text
    assert token_command(s, None) == "vidhost token"
    assert "Sign in" not in banner(s, given=None, sign_in_link=None, log_level="INFO")


def test_an_older_current_directory_data_dir_is_pointed_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VIDHOST_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    s = Settings(data_dir=tmp_path / "new")
    assert legacy_hint(s, None) is None
    (tmp_path / "vidhost-data").mkdir()
    (tmp_path / "vidhost-data" / "jwt_secret").write_text("x" * 40)
    hint = legacy_hint(s, None)
    assert hint and f"--data-dir {tmp_path / 'vidhost-data'}" in hint
    assert legacy_hint(s, tmp_path / "new") is None  # chosen explicitly: no note


@pytest.mark.parametrize(
    ("host", "token", "opened", "closed"),
    [
        ("127.0.0.1", None, False, False),
        ("::1", None, False, False),
        ("localhost", None, False, False),
        ("0.0.0.0", None, False, True),
        ("10.1.2.3", None, False, True),
        ("video.example.com", None, False, True),
        ("0.0.0.0", "t" * 20, False, False),
        ("0.0.0.0", None, True, False),
    ],
)
def test_metrics_close_on_a_non_loopback_bind_without_token_or_opt_in(
    host: str, token: str | None, opened: bool, closed: bool
) -> None:
    s = Settings(host=host, metrics_token=token, metrics_open=opened)
    assert metrics_closed(s) is closed
    assert loopback_bind(s) is (host in ("127.0.0.1", "::1", "localhost"))
