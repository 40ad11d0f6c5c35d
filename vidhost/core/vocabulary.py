"""How each surface names the one lifecycle. Surfaces map with these; none forks the states."""

from __future__ import annotations

from vidhost.core.lifecycle import VideoState

S = VideoState

STATUS_SOCKET_STATE: dict[VideoState, str] = {
    S.CREATED: "UPLOADED",
    S.UPLOADING: "UPLOADED",
    S.UPLOADED: "UPLOADED",
    S.PROCESSING: "PROCESSING",
    S.READY: "READY",
    S.FAILED: "FAILED",
    S.DELETED: "FAILED",
}
"""The status socket (``/video/{id}/status/stream``) knows UPLOADED|PROCESSING|READY|FAILED
(``/stream/ready`` calls READY COMPLETED)."""

UPLOAD_URL_STATUS: dict[VideoState, str] = {
    S.CREATED: "uploading",
    S.UPLOADING: "uploading",
    S.UPLOADED: "processing",
    S.PROCESSING: "processing",
    S.READY: "ready",
    S.FAILED: "error",
    S.DELETED: "deleted",
}
"""Upload-URL clients (``status`` of ``/api/videos/{id}/status``) and webhooks know
uploading|processing|ready|error (``deleted`` only reaches webhooks)."""
