"""Task processing: in a worker, the task runner behind Celery's one task (with its
metrics); in ``serve`` with the embedded profile, the worker child process."""

from __future__ import annotations

from collections.abc import Sequence

from vidhost.adapters.metrics import instrumented
from vidhost.app.container import Container
from vidhost.app.feature import Background, Feature
from vidhost.app.settings import Settings
from vidhost.processing.broker.celery_app import register_task
from vidhost.processing.media_seconds import MediaSeconds
from vidhost.processing.supervisor import WorkerSupervisor


def install(c: Container) -> None:
    if c.worker:
        runner = c.task_runner()
        seconds = MediaSeconds(c.storage, c.repo)
        run = instrumented(runner.run, lambda v, k, p: seconds(v, k, runner.claimed_part(p)))
        register_task(c.celery, run)


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment a worker process needs to see the same settings as this process."""
    env = {"VIDHOST_DATA_DIR": str(settings.data_dir)}
    for name, value in settings.model_dump(exclude_unset=True).items():
        if value is not None and isinstance(value, str | int | float | bool):
            env[f"VIDHOST_{name.upper()}"] = str(value)
    env["VIDHOST_DATA_DIR"] = str(settings.data_dir)
    return env


def background(c: Container) -> Sequence[Background]:
    if not c.settings.embedded_worker:
        return ()
    return [WorkerSupervisor(worker_env(c.settings))]


FEATURE = Feature("processing", install=install, background=background)
