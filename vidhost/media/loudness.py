"""Running loudnorm's measuring pass and reading its JSON report."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence

from vidhost.media.enhance import Loudness
from vidhost.media.errors import FFMPEG_FAILED, FFMPEG_TIMEOUT, MediaError, scrub_paths
from vidhost.media.process import child_preexec
from vidhost.media.sandbox import limited_command, task_limits

_JSON_BLOCK = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


def parse_loudnorm_report(stderr: str) -> Loudness | None:
    """The last loudnorm JSON block in ``stderr``; None when absent or not finite (silence)."""
    blocks = _JSON_BLOCK.findall(stderr)
    if not blocks:
        return None
    data = json.loads(blocks[-1])
    try:
        values = Loudness(
            input_i=float(data["input_i"]),
            input_tp=float(data["input_tp"]),
            input_lra=float(data["input_lra"]),
            input_thresh=float(data["input_thresh"]),
            target_offset=float(data["target_offset"]),
        )
    except (KeyError, ValueError):
        return None
    finite = all(
        abs(v) != float("inf") and v == v
        for v in (values.input_i, values.input_tp, values.input_thresh)
    )
    return values if finite and values.input_i > -70.0 else None


def measure_loudness(args: Sequence[str], *, timeout: float) -> Loudness | None:
    """Run a :func:`vidhost.media.enhance.measure_command` and parse what it reports."""
    try:
        result = subprocess.run(
            limited_command(list(args), task_limits(timeout)),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            preexec_fn=child_preexec(),
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(FFMPEG_TIMEOUT, f"loudness measurement took over {timeout:g} s") from exc
    except OSError as exc:
        raise MediaError(FFMPEG_FAILED, f"could not start ffmpeg: {exc.strerror}") from exc
    if result.returncode != 0:
        tail = scrub_paths("\n".join(result.stderr.splitlines()[-10:]))
        raise MediaError(FFMPEG_FAILED, f"loudness measurement failed: {tail}")
    return parse_loudnorm_report(result.stderr)
