"""Prometheus multiprocess mode for ``vidhost serve`` (ADR 0072). Standard library only.

``prometheus_client`` decides at import time whether values live in memory or in files under
``PROMETHEUS_MULTIPROC_DIR``; so ``serve`` calls :func:`enable_multiprocess` before anything
imports it. The directory is ``<tmp>/p<pid>-<instance>/prometheus/`` of the serve process:
new and empty at each start, inherited by the embedded worker (which writes its own files
there, so ``/metrics`` exports the worker's task metrics), and swept with the rest of the
process's temporary files once the process is gone (``vidhost.media.process``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from vidhost.app.settings import Settings

ENV = "PROMETHEUS_MULTIPROC_DIR"


def enable_multiprocess(settings: Settings) -> Path:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at a clean directory of this process; return it."""
    directory = settings.tmp_dir / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[ENV] = str(directory)
    return directory
