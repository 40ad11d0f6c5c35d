"""Cloudflare's ``scheduledDeletion`` (ADR 0094): "the date and time at which the video will
be deleted", at least 30 days ahead (``VIDHOST_CLOUDFLARE_MIN_SCHEDULED_DELETION``, in
seconds). Accepted at creation (direct upload, tus ``Upload-Metadata scheduleddeletion``,
clip) and on edit, where ``null`` lifts it. The video's ``delete_at``; the deletion sweeper
(``vidhost.processing.scheduled_deletion``) deletes it when the time comes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from vidhost.app.container import Container
from vidhost.core.errors import InvalidInput
from vidhost.core.models import utcnow

FIELD = "scheduledDeletion"
_DATETIME = TypeAdapter(datetime)


def parse(container: Container, value: object, *, field: str = FIELD) -> datetime | None:
    """``value`` (an RFC 3339 time, or None) as the deletion time; 400 ``invalid_request``
    naming ``field`` for anything else, or a time sooner than the minimum from now."""
    if value is None:
        return None
    try:
        when = _DATETIME.validate_python(value)
    except ValidationError:
        raise InvalidInput(f"{field} must be a date-time", code="invalid_request") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    least = container.settings.cloudflare_min_scheduled_deletion
    if when < utcnow() + timedelta(seconds=least):
        raise InvalidInput(
            f"{field} must be at least {least:g} seconds from now", code="invalid_request"
        )
    return when.astimezone(UTC)
