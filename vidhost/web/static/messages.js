// What a person reads for an error code a video or an upload can end with: one table for the
// upload page, the library and the video page (the server's own text stays for the details).

const MESSAGES = {
  upload_too_large: "This file is too large for this server.",
  file_too_large: "This file is too large for this server.",
  file_size_too_large: "This file is too large for this server.",
  not_a_video: "This file is not a video vidhost can read.",
  no_video_stream: "This file is not a video vidhost can read.",
  invalid_file_type: "This file is not a video vidhost can read.",
  empty_file: "This file is empty.",
  corrupt_media: "This file is damaged or truncated: nothing in it could be decoded.",
  probe_failed: "This file could not be read safely: it may be damaged.",
  probe_timeout: "Reading this file took too long: it may be damaged.",
  duration_too_long: "This video is longer than this server accepts.",
  resolution_too_large: "This video's resolution is larger than this server accepts.",
  frame_rate_too_high: "This video's frame rate is higher than this server accepts.",
  too_many_streams: "This file has more streams than this server accepts.",
  download_failed: "The video could not be downloaded from its URL.",
  ffmpeg_failed: "This video could not be processed.",
  ffmpeg_timeout: "Processing this video took longer than this server allows.",
  ffmpeg_killed: "Processing this video was stopped: it needed more than this server has.",
  task_failed: "This video could not be processed.",
  source_missing: "The uploaded file is no longer stored: upload it again.",
  storage_error: "The server could not store this video: try again later.",
  unauthorized: "You are signed out: sign in again.",
  token_expired: "Your sign-in expired: sign in again.",
};

// The friendly message for `code`; `fallback` (the server's text) only for a code the table
// does not know and that is no processing failure.
export function messageFor(code, fallback) {
  return MESSAGES[code] || fallback || code || "The upload failed.";
}

// A failed video's message: friendly for every code; never raw ffmpeg output.
export function failureMessage(error) {
  return (error && MESSAGES[error.code]) || "This video could not be processed.";
}
