"""Every error code vidhost answers with, its HTTP status and what it means: one block.

The status of an error response comes from here, by code (``status_of``); nothing else maps
codes or exception classes to statuses. A code has exactly one status. New codes are added
here first; ``tests/unit/core/test_error_catalogue.py`` fails for a code raised anywhere in
``vidhost/`` that is missing here, or that a raise site gives another status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    description: str


def _catalogue(*entries: tuple[str, int, str]) -> Mapping[str, ErrorCode]:
    codes: dict[str, ErrorCode] = {}
    for code, status, description in entries:
        if code in codes:
            raise ValueError(f"error code {code!r} is listed twice")
        codes[code] = ErrorCode(code, status, description)
    return MappingProxyType(codes)


CATALOGUE: Final = _catalogue(
    # 400 Bad Request
    ("invalid_request", 400, "A field, parameter or body is missing, malformed or out of range"),
    ("bad_request", 400, "The request could not be parsed at the HTTP level"),
    ("invalid_header", 400, "A tus header is malformed or contradicts the upload"),
    ("invalid_concat", 400, "Upload-Concat is malformed or names uploads that cannot be joined"),
    ("partial_incomplete", 400, "A final concatenation names a partial upload that is incomplete"),
    ("invalid_checksum", 400, "Upload-Checksum is not a valid digest for its algorithm"),
    ("unsupported_checksum_algorithm", 400, "Upload-Checksum names an unsupported algorithm"),
    ("invalid_metadata", 400, "Upload-Metadata is malformed, duplicated or too long"),
    ("too_many_metadata_keys", 400, "The metadata has more keys than allowed"),
    ("metadata_too_large", 400, "The metadata is larger than allowed (as JSON)"),
    ("upload_length_mismatch", 400, "Upload-Length differs from the length already declared"),
    ("invalid_file_size", 400, "The declared file size is not a positive number"),
    ("file_size_too_large", 400, "The declared fileSize is over the maximum upload size"),
    ("invalid_file_type", 400, "The declared MIME type is not a video or audio type"),
    ("duration_too_long", 400, "The video is longer than the maximum duration"),
    ("resolution_too_large", 400, "The video's frame is wider, taller or larger than allowed"),
    ("frame_rate_too_high", 400, "The video's frame rate is over the maximum"),
    ("too_many_streams", 400, "The file has more streams than allowed"),
    ("probe_failed", 400, "The file could not be probed safely (the sandboxed probe failed)"),
    ("probe_timeout", 400, "Probing the file took longer than allowed"),
    ("upload_interrupted", 400, "The upload request ended before its body was complete"),
    ("no_file", 400, "The multipart body has no 'file' field"),
    ("empty_file", 400, "The uploaded file is empty"),
    ("multiple_files", 400, "The multipart body has more than one file"),
    ("field_too_large", 400, "A multipart form field is over its size limit"),
    ("too_many_fields", 400, "The multipart body has more form fields than allowed"),
    ("invalid_client_id", 400, "The client_id is longer than allowed"),
    ("malformed_multipart", 400, "The multipart body cannot be parsed"),
    ("not_a_video", 400, "The file is not a video (no video stream, or a still image)"),
    ("corrupt_media", 400, "The video stream cannot be decoded"),
    ("failed", 400, "The upload was refused; the video failed validation"),
    ("invalid_state", 400, "The state filter names an unknown state"),
    ("unsupported_format", 400, "The requested image or animation format is not offered"),
    ("bad_time", 400, "The requested time is past the end of the video"),
    ("invalid_video_quality", 400, "video_quality is not one of basic, plus, premium"),
    ("unknown_preset", 400, "The enhancement spec names an unknown preset"),
    ("invalid_enhance_option", 400, "The enhancement spec has an unknown or invalid option"),
    ("enhancement_disabled", 400, "An enhancement was asked for but it is disabled on this server"),
    ("multipart_unsupported", 400, "S3 multipart uploads need the S3 storage backend"),
    ("invalid_url", 400, "The URL is not an absolute http(s) URL with a valid host"),
    ("url_forbidden", 400, "The URL's host is not a public address (loopback, private, ...)"),
    ("invalid_event_type", 400, "The webhook subscribes to an unknown event type"),
    ("invalid_webhook_format", 400, "The webhook format is not vidhost, mux or cloudflare"),
    ("download_failed", 400, "A pull-ingest input URL could not be downloaded (status, timeout)"),
    ("invalid_secret", 400, "The webhook secret is not 16-255 characters"),
    ("empty_post", 400, "A post needs content or a videoId"),
    ("too_long", 400, "The post content is over its length limit"),
    ("video_not_ready", 400, "The post's video is still processing"),
    (
        "unknown_rendition",
        400,
        "The download names no rendition vidhost knows (highest, audio, 720p ...)",
    ),
    (
        "rendition_unavailable",
        400,
        "The video has no such rendition (a height above its ladder, audio of a silent video)",
    ),
    (
        "unsupported_field",
        400,
        "A Mux or Cloudflare request field vidhost does not implement was sent (it is named)",
    ),
    ("invalid_cursor", 400, "The list cursor is not one this server handed out"),
    (
        "invalid_clip_range",
        400,
        "The clip's times are not numbers, its start is negative or its end not after its start",
    ),
    ("clip_source_not_ready", 400, "Only a ready video can be clipped (the source is not)"),
    (
        "invalid_caption",
        400,
        "The caption file is not UTF-8 WebVTT/SRT, or its cue timestamps are broken or unordered",
    ),
    (
        "unsupported_caption_format",
        400,
        "The caption file is another format (TTML, SSA/ASS, SCC ...): WebVTT or SRT only",
    ),
    ("websocket_upgrade_required", 400, "This endpoint answers WebSocket upgrade requests only"),
    ("no_audio", 400, "The video has no audio stream: there is no speech to caption"),
    ("no_speech", 400, "No speech was recognized in the video's audio (silence)"),
    ("unsupported_language", 400, "Captions cannot be generated in this language"),
    # 401 Unauthorized
    ("unauthorized", 401, "No bearer token was sent"),
    ("invalid_token", 401, "The bearer token is malformed or its signature is wrong"),
    ("token_expired", 401, "The bearer token has expired"),
    ("sign_in_code_invalid", 401, "The one-time sign-in code is unknown, used or expired"),
    # 403 Forbidden
    ("forbidden", 403, "The caller may not do this"),
    ("access_denied", 403, "The video or upload belongs to another user"),
    ("invalid_signature", 403, "The signed upload URL is malformed or its signature is wrong"),
    ("url_expired", 403, "The signed upload URL has expired"),
    ("upload_not_writable", 403, "A final concatenation upload takes no PATCH"),
    ("playback_token_required", 403, "The video is private: a playback token is required"),
    ("playback_token_invalid", 403, "The playback token is malformed or its signature is wrong"),
    ("playback_token_expired", 403, "The playback token has expired"),
    ("playback_token_revoked", 403, "The playback token's signing key was deleted"),
    ("playback_token_wrong_video", 403, "The playback token is for another video"),
    ("playback_token_wrong_audience", 403, "The playback token is for another kind of media"),
    ("playback_token_wrong_key", 403, "The playback token's key belongs to another user"),
    ("account_mismatch", 403, "The account id in the path is not the bearer token's user"),
    # 404 Not Found
    ("not_found", 404, "No such route or resource"),
    ("video_not_found", 404, "No such video (or it was deleted)"),
    ("segment_not_found", 404, "No such HLS segment"),
    ("upload_not_found", 404, "No such upload"),
    ("task_not_found", 404, "The video has no task of this kind"),
    ("analysis_not_found", 404, "The video's analysis is not stored"),
    ("enhanced_not_found", 404, "The video's enhanced file is not stored"),
    ("post_not_found", 404, "No such post"),
    ("webhook_not_found", 404, "No such webhook endpoint for this user"),
    ("delivery_not_found", 404, "No such webhook delivery"),
    ("signing_key_not_found", 404, "No such signing key for this user"),
    ("asset_not_found", 404, "No such Mux asset for this access token's owner"),
    ("playback_id_not_found", 404, "No such playback id (or another owner's)"),
    ("download_not_found", 404, "No such download (static rendition) of this video"),
    ("track_not_found", 404, "No such text track (captions) of this video"),
    (
        "no_video_stream",
        404,
        "The video is audio-only: it has no frames for thumbnails, storyboards or previews",
    ),
    ("access_token_not_found", 404, "No such access token for this user"),
    # 405 Method Not Allowed
    ("method_not_allowed", 405, "The route does not take this HTTP method"),
    # 409 Conflict
    ("conflict", 409, "The resource's state does not allow this request"),
    ("not_ready", 409, "The video is not ready for this yet"),
    (
        "download_not_ready",
        409,
        "The download (static rendition) is still being prepared or failed",
    ),
    ("invalid_transition", 409, "The video cannot move to the requested state"),
    ("offset_mismatch", 409, "Upload-Offset does not match the upload's offset"),
    ("upload_exists", 409, "The upload was already created, concatenated or finished"),
    ("upload_complete", 409, "The video's upload is already complete"),
    ("upload_in_progress", 409, "Another request is already uploading to this URL"),
    ("source_changed", 409, "The stored source is not the file that was accepted"),
    ("upload_incomplete", 409, "The upload does not hold every byte yet"),
    ("upload_finished", 409, "The upload became a video; delete the video instead"),
    ("no_multipart_upload", 409, "No S3 multipart upload is in progress for this video"),
    ("no_source", 409, "The video has no uploaded source"),
    ("no_plan", 409, "The video has no segment plan (a chunk task's failure code, ADR 0060)"),
    ("no_chunk", 409, "The segment plan has no chunk of that index (a chunk task's failure code)"),
    (
        "upload_not_waiting",
        409,
        "The Mux upload is no longer waiting (created, cancelled, timed out)",
    ),
    (
        "original_not_kept",
        409,
        "The original upload is not offered for download (VIDHOST_ORIGINAL_DOWNLOADS=false) "
        "or not kept (a refused source)",
    ),
    # 410 Gone
    ("upload_expired", 410, "The upload expired"),
    ("video_deleted", 410, "The video was deleted while a task ran (a task's failure code)"),
    # 412 Precondition Failed
    ("unsupported_tus_version", 412, "Tus-Resumable is missing or not 1.0.0"),
    # 413 Content Too Large
    ("file_too_large", 413, "The file is over the maximum (or declared) upload size"),
    ("upload_too_large", 413, "More bytes than Upload-Length or the server's Tus-Max-Size"),
    ("request_too_large", 413, "The request body is over its size limit"),
    ("caption_too_large", 413, "The caption file is over its size or cue-count limit"),
    # 415 Unsupported Media Type
    ("unsupported_media_type", 415, "The request body has the wrong Content-Type"),
    # 416 Range Not Satisfiable
    ("range_not_satisfiable", 416, "The Range header lies outside the object"),
    # 423 Locked
    ("upload_locked", 423, "Another request is writing this upload"),
    # 431 Request Header Fields Too Large
    ("request_header_too_large", 431, "The request line and headers are too large or too many"),
    # 460 Checksum Mismatch (tus)
    ("checksum_mismatch", 460, "The body does not match Upload-Checksum; none of it was kept"),
    # 500 Internal Server Error (logged; the body carries only the description)
    ("internal_error", 500, "An unexpected server error (logged)"),
    ("storage_error", 500, "The storage backend failed"),
    ("upload_data_lost", 500, "Stored upload data is shorter than its committed offset"),
    ("source_missing", 500, "The uploaded source is no longer in storage"),
    ("render_failed", 500, "Rendering a thumbnail, storyboard or preview failed"),
    ("ffmpeg_failed", 500, "ffmpeg failed on the video"),
    ("vmaf_failed", 500, "A quality probe got no VMAF score (the title keeps the default CRF)"),
    ("ffmpeg_timeout", 500, "ffmpeg took longer than its time limit"),
    ("ffmpeg_killed", 500, "ffmpeg was killed from outside (memory, operator) on every attempt"),
    ("task_failed", 500, "A processing task failed"),
    ("transcribe_failed", 500, "The speech recognizer failed or ran out of time or memory"),
    ("speech_model_unavailable", 500, "The speech model is missing or not the one expected"),
    # 503 Service Unavailable (with Retry-After)
    ("render_busy", 503, "Every render slot of this server is busy; retry after Retry-After"),
    ("upload_busy", 503, "A Mux upload URL is being written by another request; retry"),
    (
        "segment_not_ready",
        503,
        "The segment is planned but was not encoded within the wait; retry after Retry-After",
    ),
)
"""code -> :class:`ErrorCode`, in the order above (grouped by status)."""

HTTP_STATUS_CODES: Final[Mapping[int, str]] = MappingProxyType(
    {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "request_too_large",
        415: "unsupported_media_type",
        416: "range_not_satisfiable",
        500: "internal_error",
    }
)
"""The generic code of an HTTP error raised below vidhost's own code (routing, parsing)."""


def status_of(code: str, default: int = 500) -> int:
    """The HTTP status of ``code``; ``default`` for a code the catalogue does not list."""
    entry = CATALOGUE.get(code)
    return entry.status if entry is not None else default


def codes_for(status: int) -> list[str]:
    """The codes answered with ``status``, in catalogue order."""
    return [e.code for e in CATALOGUE.values() if e.status == status]


def statuses() -> list[int]:
    """Every status some code is answered with, ascending."""
    return sorted({e.status for e in CATALOGUE.values()})


def markdown_table() -> str:
    """The catalogue as a Markdown table (``vidhost error-codes``, docs/errors.md, OpenAPI)."""
    lines = ["| code | status | meaning |", "|---|---|---|"]
    lines += [f"| `{e.code}` | {e.status} | {e.description} |" for e in CATALOGUE.values()]
    return "\n".join(lines)


def status_table() -> str:
    """status -> its codes, as a Markdown table (the README's summary)."""
    lines = ["| status | codes |", "|---|---|"]
    lines += [
        f"| {status} | {', '.join(f'`{c}`' for c in codes_for(status))} |" for status in statuses()
    ]
    return "\n".join(lines)
