"""Response models of the video reads, in each surface's vocabulary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from vidhost.core.clips import clip_of
from vidhost.core.lifecycle import TaskKind, TaskStatus, VideoState
from vidhost.core.models import Task, Video
from vidhost.core.progress import ladder_percent, task_percent, transcode_of
from vidhost.core.static_renditions import StaticRendition
from vidhost.core.text_tracks import TextTrack
from vidhost.core.vocabulary import UPLOAD_URL_STATUS

if TYPE_CHECKING:
    from fastapi import Request  # the views only read its URL

S = VideoState


def base_url(request: Request) -> str:
    configured = request.app.state.container.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def playback_url(request: Request, video: Video) -> str | None:
    if video.state is not S.READY:
        return None
    return f"{base_url(request)}/stream/{video.id}/manifest"


def thumbnail_url(request: Request, video: Video) -> str | None:
    if video.poster_key is None:
        return None
    return f"{base_url(request)}/stream/{video.id}/poster.jpg"


class Resolution(BaseModel):
    width: int
    height: int


class RenditionOut(BaseModel):
    name: str
    width: int
    height: int
    bitrate: int = Field(description="Peak bits per second, video + audio.")
    playlistUrl: str


class TaskOut(BaseModel):
    type: str = Field(description="transcode | metadata_extraction | video_enhancement | ...")
    status: str = Field(description="pending | processing | completed | failed")
    progress: float
    error: str | None
    errorCode: str | None
    updatedAt: datetime


class ErrorOut(BaseModel):
    code: str
    message: str | None


class VideoStatus(BaseModel):
    videoId: str
    state: str = Field(description="created|uploading|uploaded|processing|ready|failed")
    status: str = Field(
        description="Upload-URL and webhook vocabulary: uploading|processing|ready|error"
    )
    progress: float = Field(
        description="0-100: the share of the HLS ladder stored (the transcode task). A video "
        "is ready (plays) well before 100; 100 once every rendition is stored"
    )
    duration: float | None
    resolution: Resolution | None
    renditions: list[RenditionOut]
    playbackUrl: str | None
    thumbnailUrl: str | None
    provider: str = "vidhost"
    error: ErrorOut | None
    tasks: list[TaskOut]
    createdAt: datetime
    updatedAt: datetime
    readyAt: datetime | None


class DownloadOut(BaseModel):
    """A static rendition (MP4/M4A download) of the video (ADR 0065)."""

    name: str = Field(description="highest.mp4, 720p.mp4, audio.m4a ...")
    status: str = Field(description="preparing | ready | errored | skipped")
    url: str = Field(description="Served with Range; a private video's needs ?token=")
    bytes: int | None = Field(description="The file's size once ready")
    width: int | None = None
    height: int | None = None


class CaptionOut(BaseModel):
    """A text track of the video (captions or subtitles)."""

    id: str
    language: str = Field(description="BCP 47 (en, pt-BR)")
    name: str
    closedCaptions: bool
    generated: bool
    status: str = Field(description="preparing | ready | errored")
    url: str = Field(description="The WebVTT file (a private video's needs ?token=)")
    source: str = Field(description="uploaded | generated")
    detectedLanguage: str | None = Field(
        default=None, description="A generated track: the language heard, when not the one asked"
    )
    errorCode: str | None = None


class ClipOut(BaseModel):
    """Where a clip was cut from (ADR 0067): seconds of the source, on its frame grid."""

    videoId: str
    start: float
    end: float


class VideoDetails(VideoStatus):
    id: str
    owner: str
    title: str | None
    description: str | None
    tags: list[str]
    visibility: str
    metadata: dict[str, Any]
    filename: str | None
    contentType: str | None
    sizeBytes: int | None
    videoCodec: str | None
    audioCodec: str | None
    fps: float | None
    bitrate: int | None
    clientId: str | None
    playback: dict[str, str]
    analysisUrl: str | None = Field(
        default=None, description="The metadata JSON, once metadata extraction completed"
    )
    enhancedUrl: str | None = Field(
        default=None, description="The enhanced file, once video enhancement completed"
    )
    captions: list[CaptionOut] = Field(
        default_factory=list,
        description="Text tracks: {id, language, name, closedCaptions, generated, status, url}",
    )
    downloads: list[DownloadOut] = Field(
        default_factory=list, description="MP4/M4A downloads asked for (POST .../downloads)"
    )
    clippedFrom: ClipOut | None = Field(
        default=None, description="The video this one was cut from (POST .../clips), if any"
    )


def progress_of(video: Video, tasks: list[Task]) -> float:
    """The share of the video's ladder stored (``vidhost.core.progress``): under 100 while
    a ready video's other renditions are still encoded, 100 once all are stored."""
    return ladder_percent(video, transcode_of(tasks))


def task_out(task: Task) -> TaskOut:
    return TaskOut(
        type=task.kind.value,
        status=task.status.value,
        progress=task_percent(task.status, task.progress),
        error=task.error,
        errorCode=task.error_code,
        updatedAt=task.updated_at,
    )


def video_status(request: Request, video: Video, tasks: list[Task]) -> VideoStatus:
    return VideoStatus(**_status_fields(request, video, tasks))


def _status_fields(request: Request, video: Video, tasks: list[Task]) -> dict[str, Any]:
    base = base_url(request)
    return {
        "videoId": video.id,
        "state": video.state.value,
        "status": UPLOAD_URL_STATUS[video.state],
        "progress": progress_of(video, tasks),
        "duration": video.duration,
        "resolution": (
            Resolution(width=video.width, height=video.height)
            if video.width and video.height
            else None
        ),
        "renditions": [
            RenditionOut(
                name=r.name,
                width=r.width,
                height=r.height,
                bitrate=r.bitrate,
                playlistUrl=f"{base}/stream/{video.id}/{r.playlist}",
            )
            for r in video.renditions
        ],
        "playbackUrl": playback_url(request, video),
        "thumbnailUrl": thumbnail_url(request, video),
        "error": (
            ErrorOut(code=video.error_code, message=video.error_message)
            if video.error_code
            else None
        ),
        "tasks": [task_out(t) for t in tasks],
        "createdAt": video.created_at,
        "updatedAt": video.updated_at,
        "readyAt": video.ready_at,
    }


def download_url(request: Request, video_id: str, name: str) -> str:
    return f"{base_url(request)}/stream/{video_id}/downloads/{name}"


def download_out(request: Request, record: StaticRendition) -> DownloadOut:
    return DownloadOut(
        name=record.name,
        status=record.status,
        url=download_url(request, record.video_id, record.name),
        bytes=record.size_bytes,
        width=record.width,
        height=record.height,
    )


def video_details(
    request: Request,
    video: Video,
    tasks: list[Task],
    downloads: Sequence[StaticRendition] = (),
) -> VideoDetails:
    fields = _status_fields(request, video, tasks)
    playback = {}
    if fields["playbackUrl"]:
        playback["hls"] = fields["playbackUrl"]
    return VideoDetails(
        **fields,
        id=video.id,
        owner=video.owner,
        title=video.title,
        description=video.description,
        tags=video.tags,
        visibility=video.visibility,
        metadata=video.metadata,
        filename=video.filename,
        contentType=video.content_type,
        sizeBytes=video.size_bytes,
        videoCodec=video.video_codec,
        audioCodec=video.audio_codec,
        fps=video.fps,
        bitrate=video.bitrate,
        clientId=video.client_id,
        playback=playback,
        analysisUrl=_done_url(request, video, tasks, TaskKind.METADATA_EXTRACTION, "analysis"),
        enhancedUrl=_done_url(request, video, tasks, TaskKind.VIDEO_ENHANCEMENT, "enhanced"),
        downloads=[download_out(request, d) for d in downloads],
        clippedFrom=_clip_out(video),
    )


def _clip_out(video: Video) -> ClipOut | None:
    clip = clip_of(video)
    if clip is None:
        return None
    return ClipOut(videoId=clip["source"], start=clip["start"], end=clip["end"])


def _done_url(
    request: Request, video: Video, tasks: list[Task], kind: TaskKind, name: str
) -> str | None:
    if any(t.kind is kind and t.status is TaskStatus.COMPLETED for t in tasks):
        return f"{base_url(request)}/api/videos/{video.id}/{name}"
    return None


def caption_url(request: Request, video_id: str, track_id: str) -> str:
    return f"{base_url(request)}/api/videos/{video_id}/captions/{track_id}.vtt"


def caption_out(request: Request, track: TextTrack) -> CaptionOut:
    return CaptionOut(
        id=track.id,
        language=track.language,
        name=track.name,
        closedCaptions=track.closed_captions,
        generated=track.generated,
        status=track.status,
        url=caption_url(request, track.video_id, track.id),
        source=track.source,
        detectedLanguage=track.detected_language,
        errorCode=track.error_code,
    )
