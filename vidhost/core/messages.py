"""Error messages that leave the server carry no absolute server paths.

Task and video errors are shown to clients (status endpoints, sockets, webhooks). Messages
built from exceptions (``OSError``, PyAV, ffmpeg) name files by absolute path; ``public``
keeps only the last path component, so a message stays useful without revealing the data
dir, the temp dir or the storage layout on disk.
"""

from __future__ import annotations

import re

_SEGMENT = r"[^\s'\"/:,;()\[\]<>|]"
_ABSOLUTE_PATH = re.compile(rf"(?<![\w.:/%@-])(?:file:)?/+(?:{_SEGMENT}+/+)+({_SEGMENT}*)")
"""``/a/b``, ``/a/b/c.ts``, ``file:///a/b`` at a word start; not URL paths (``host/a/b``)."""


def public(message: str | None) -> str | None:
    """``message`` with each absolute path replaced by its last component."""
    if not message or "/" not in message:
        return message
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "<path>", message)
