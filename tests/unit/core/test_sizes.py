"""One way of writing sizes (issue 24): binary units, the server's messages and the web app's
``formatBytes`` alike."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from vidhost.core.sizes import format_size
from vidhost.media.formats import container_name

CASES = [
    (0, "0 B"),
    (999, "999 B"),
    (1023, "1023 B"),
    (1024, "1 KiB"),
    (1536, "1.5 KiB"),
    (5 * 1024 * 1024, "5 MiB"),
    (524_288_000, "500 MiB"),
    (1024**3 + 1024**3 // 4, "1.3 GiB"),
    (3 * 1024**4, "3 TiB"),
]


@pytest.mark.parametrize(("n", "text"), CASES)
def test_binary_units_at_most_one_decimal(n: int, text: str) -> None:
    assert format_size(n) == text


UI = Path(__file__).resolve().parents[3] / "vidhost" / "web" / "static" / "ui.js"


def test_the_web_app_writes_sizes_the_same_way(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is required (make install-test)"
    script = tmp_path / "sizes.mjs"
    script.write_text(
        f"import {{ formatBytes }} from {json.dumps(UI.as_uri())};\n"
        f"console.log(JSON.stringify({json.dumps([n for n, _ in CASES])}.map(formatBytes)));\n"
    )
    out = subprocess.run([node, str(script)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [text for _, text in CASES]


@pytest.mark.parametrize(
    ("format_name", "brand", "name"),
    [
        ("mov,mp4,m4a,3gp,3g2,mj2", "isom", "MPEG-4 (MP4)"),
        ("mov,mp4,m4a,3gp,3g2,mj2", "qt  ", "QuickTime (MOV)"),
        ("mov,mp4,m4a,3gp,3g2,mj2", "M4A ", "MPEG-4 audio (M4A)"),
        ("matroska,webm", "", "Matroska / WebM"),
        ("mpegts", "", "MPEG transport stream (TS)"),
        ("wav", "", "WAV"),
        ("image2", "", "image2"),
        (None, "", None),
    ],
)
def test_friendly_container_names(format_name: str | None, brand: str, name: str | None) -> None:
    assert container_name(format_name, {"major_brand": brand}) == name
