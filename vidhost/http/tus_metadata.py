"""``Upload-Metadata``: comma-separated ``key base64value`` pairs (value optional)."""

from __future__ import annotations

import base64
import binascii

from vidhost.core.limits import UPLOAD_METADATA_BYTES
from vidhost.core.upload_errors import bad_header

MAX_HEADER = UPLOAD_METADATA_BYTES


def parse_metadata(header: str | None) -> dict[str, str]:
    """Decode the header per tus 1.0.0. An empty or missing header is an empty mapping."""
    if header is None or not header.strip():
        return {}
    if len(header) > MAX_HEADER:
        raise bad_header("Upload-Metadata is too long", "invalid_metadata")
    result: dict[str, str] = {}
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if len(parts) > 2 or not parts[0]:
            raise bad_header(f"malformed Upload-Metadata pair {pair.strip()!r}", "invalid_metadata")
        key = parts[0]
        if key in result:
            raise bad_header(f"duplicate Upload-Metadata key {key!r}", "invalid_metadata")
        if len(parts) == 1:
            result[key] = ""
            continue
        try:
            raw = base64.b64decode(parts[1], validate=True)
            result[key] = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise bad_header(
                f"Upload-Metadata value of {key!r} is not base64 UTF-8", "invalid_metadata"
            ) from None
    return result


def encode_metadata(values: dict[str, str]) -> str:
    return ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}" if v else k for k, v in values.items()
    )
