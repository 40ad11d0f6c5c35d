"""Notices direct uploads that have landed in storage and starts their processing.

S3 gives vidhost no callback when a pre-signed PUT or multipart upload completes, so
``serve`` polls: every ``interval`` seconds it HEADs the source key of each direct upload
still waiting for its bytes. (S3 event notifications could replace polling; see
docs/direct-uploads.md.)
"""

from __future__ import annotations

import logging
import threading

from vidhost.domain.direct_uploads import DirectUploads

log = logging.getLogger(__name__)


class UploadWatcher:
    def __init__(self, direct: DirectUploads, *, interval: float) -> None:
        self.direct = direct
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vidhost-uploads", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                for video_id in self.direct.poll():
                    log.info("direct upload %s arrived", video_id)
            except Exception:
                log.exception("upload watcher pass failed")
