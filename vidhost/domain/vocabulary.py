"""How each seed names the one lifecycle. Surfaces map with these; none forks the states."""

from __future__ import annotations

from vidhost.domain.lifecycle import VideoState

S = VideoState

SEED001_STATE: dict[VideoState, str] = {
    S.CREATED: "UPLOADED",
    S.UPLOADING: "UPLOADED",
    S.UPLOADED: "UPLOADED",
    S.PROCESSING: "PROCESSING",
    S.READY: "READY",
    S.FAILED: "FAILED",
    S.DELETED: "FAILED",
}
"""Seed 001 knows UPLOADED|PROCESSING|READY|FAILED (``/stream/ready`` calls READY COMPLETED)."""

SEED002_STATUS: dict[VideoState, str] = {
    S.CREATED: "uploading",
    S.UPLOADING: "uploading",
    S.UPLOADED: "processing",
    S.PROCESSING: "processing",
    S.READY: "ready",
    S.FAILED: "error",
    S.DELETED: "deleted",
}
"""Seed 002 knows uploading|processing|ready|error (``deleted`` only reaches webhooks)."""
