"""Playback ids: public or signed handles on a video's media (Mux's ``playback_ids``).

A video may have several; each is ``public`` (anyone who knows it plays the video) or
``signed`` (a playback token is needed whose ``sub`` is the playback id, ADR 0050/0091). The
decision for a request is ``vidhost.core.access.authorize_playback_id``.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime

from vidhost.core.models import utcnow

PUBLIC = "public"
SIGNED = "signed"
POLICIES = (PUBLIC, SIGNED)
_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 40
"""Long enough to be unguessable (~238 bits), alphanumeric like Mux's."""


def new_playback_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(ID_LENGTH))


def is_playback_id(value: str) -> bool:
    return 8 <= len(value) <= 64 and all(c in _ALPHABET for c in value)


@dataclass
class PlaybackId:
    id: str
    video_id: str
    owner: str
    policy: str
    created_at: datetime = field(default_factory=utcnow)
