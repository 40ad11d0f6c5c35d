"""Size and count limits on what clients send besides the video bytes (issue 14).

One place for every limit, so each way in (JSON bodies, form fields, tus headers) applies
the same numbers. Close to what Mux and Cloudflare Stream accept: a title of 512 characters
there, 200 here (the direct-upload flow's); 16 KiB of free-form metadata (Cloudflare
``meta``); tags and passthrough values short and few.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from vidhost.core.errors import InvalidInput
from vidhost.core.models import Video

KIB = 1024

JSON_BODY_BYTES = 1024 * KIB
"""Largest JSON (or other non-upload) request body; more is 413 ``request_too_large``."""
HEADER_BYTES = 64 * KIB
"""Request line plus headers, in total; more is 431 ``request_header_too_large``."""
HEADER_COUNT = 100

METADATA_BYTES = 16 * KIB
"""Free-form ``metadata`` (upload URLs, direct uploads), serialized as compact JSON."""
METADATA_KEYS = 64
"""Top-level keys of ``metadata``."""

TITLE_CHARS = 200
DESCRIPTION_CHARS = 5000
TAGS = 20
TAG_CHARS = 50
FILENAME_CHARS = 1024
CONTENT_TYPE_CHARS = 255
CLIENT_ID_CHARS = 255
SESSION_ID_CHARS = 255

UPLOAD_METADATA_BYTES = 8 * KIB
"""The tus ``Upload-Metadata`` header."""
FORM_FIELDS = 32
"""Non-file fields of a ``POST /upload`` form."""
FORM_FIELD_BYTES = 64 * KIB
"""One non-file form field; the sum of them all has the same limit."""
FORM_PART_HEADER_BYTES = 16 * KIB


def check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """``metadata`` if it is within the limits, else ``InvalidInput`` with a stable code."""
    if not metadata:
        return {}
    if len(metadata) > METADATA_KEYS:
        raise InvalidInput(
            f"metadata has more than {METADATA_KEYS} keys", code="too_many_metadata_keys"
        )
    try:
        size = len(json.dumps(metadata, separators=(",", ":"), default=str).encode())
    except (TypeError, ValueError, RecursionError):
        raise InvalidInput("metadata is not JSON", code="invalid_metadata") from None
    if size > METADATA_BYTES:
        raise InvalidInput(
            f"metadata is larger than {METADATA_BYTES} bytes as JSON", code="metadata_too_large"
        )
    return dict(metadata)


SURFACE_METADATA_KEYS = frozenset({"mux"})
"""Keys of ``Video.metadata`` a surface keeps its own settings under (the Mux asset's
``mp4_support``, ``passthrough``, ``meta``...): another surface's edit of the user's metadata
(Cloudflare's ``meta``) replaces the rest and keeps these (``replace_user_metadata``)."""


def user_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata`` without the surfaces' own settings."""
    return {k: v for k, v in metadata.items() if k not in SURFACE_METADATA_KEYS}


def replace_user_metadata(current: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` (already ``check_metadata``-ed) as the user's metadata, the surfaces'
    settings of ``current`` kept."""
    kept = {k: v for k, v in current.items() if k in SURFACE_METADATA_KEYS}
    return {**user_metadata(given), **kept}


MAX_RESOLUTION_OPTION = "max_resolution"
"""``Video.options`` key: the highest rung a video's ladder may have (its short side in
pixels; Mux's ``max_resolution_tier``)."""


def max_short_side(video: Video) -> int | None:
    value = video.options.get(MAX_RESOLUTION_OPTION)
    return value if isinstance(value, int) and value > 0 else None


KEEP_SECONDS_OPTION = "keep_seconds"
"""``Video.options`` key: only the first that many seconds of the source become the video
(Mux's ``test`` assets: 10 s; ADR 0094). The original stays as uploaded."""
NORMALIZE_AUDIO_OPTION = "normalize_audio"
"""``Video.options`` key: the audio rendition is loudness-normalised (EBU R128, Mux's
``normalize_audio``; ADR 0094)."""


def kept_seconds(video: Video) -> float | None:
    value = video.options.get(KEEP_SECONDS_OPTION)
    return float(value) if isinstance(value, int | float) and value > 0 else None


def kept_duration(video: Video, duration: float) -> float:
    """The part of a source of ``duration`` seconds the video keeps."""
    cap = kept_seconds(video)
    return duration if cap is None else min(duration, cap)


def normalizes_audio(video: Video) -> bool:
    return video.options.get(NORMALIZE_AUDIO_OPTION) is True
