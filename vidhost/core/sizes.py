"""One way of writing a size for people (issue 24): binary units, as the settings and docs
give limits (``500 MiB``), in error messages, the CLI and the web app alike
(``vidhost/web/static/ui.js`` ``formatBytes`` follows the same rule)."""

from __future__ import annotations

import math

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def format_size(n: int) -> str:
    """``524288000`` -> ``500 MiB``, ``1536`` -> ``1.5 KiB``, ``999`` -> ``999 B``: powers of
    1024, at most one decimal, none when it is 0."""
    value = float(n)
    unit = 0
    while abs(value) >= 1024 and unit < len(UNITS) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{n} B"
    tenths = math.floor(value * 10 + 0.5)  # a tie rounds up, as JavaScript's toFixed does
    text = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    return f"{text} {UNITS[unit]}"
