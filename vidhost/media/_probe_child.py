"""The probe sandbox's child: ``python -m vidhost.media._probe_child`` (see ``sandbox.py``).

Started through ``sandbox.limited_command``, so its limits are set before it runs. Reads one
JSON request on stdin and probes.
Writes ``{"info": ...}`` or ``{"error": {"code", "message"}}`` on stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def main() -> int:
    request: dict[str, Any] = json.loads(sys.stdin.read())
    answer: dict[str, Any]
    try:
        from vidhost.media.errors import MediaError
        from vidhost.media.probe import info_to_json, probe
        from vidhost.media.probe_limits import MediaLimits

        limits = request["media_limits"]
        info = probe(
            request["path"],
            decode_check=request["decode_check"],
            limits=MediaLimits(**limits) if limits is not None else None,
            format_name=request["format_name"],
        )
        answer = {"info": info_to_json(info)}
    except MediaError as exc:
        answer = {"error": {"code": exc.code, "message": exc.message}}
    except FileNotFoundError:
        answer = {"error": {"code": "file_not_found", "message": "no such file"}}
    except MemoryError:
        answer = {"error": {"code": "probe_failed", "message": "The file needs too much memory."}}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
