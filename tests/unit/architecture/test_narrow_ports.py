"""Narrow ports (issue 20, ADR 0077), read from the code: outside the services that own a
repository and the adapters that implement one, no code uses a repository reached by the
name ``repo`` (``repo.x``, ``self.repo.x``, ``container.repo.x``, ``videos.repo.x``). Each
consumer is handed the narrow port it uses (``VideoStore``, ``TaskStore``, ``EventLog`` of
``vidhost.core.ports``) as a constructor parameter named after it, or reads through the
service (``VideoService.get``/``find``/``tasks``...).

``REPO_DEBT`` lists modules that still do (empty since the Cloudflare tus route asks
``UploadService.owner_of``): the counts may only go down, and each must still be exact, so
a fixed use is struck off.
"""

from __future__ import annotations

from pathlib import Path

from tests.boundaries import VIDHOST, repo_accesses

HOMES = {
    Path("core/videos.py"),  # VideoService over the VideoRepository (videos, tasks, events)
    Path("ingest/tus/service.py"),  # UploadService over its own UploadRepository
}
ADAPTERS = Path("adapters")

REPO_DEBT: dict[str, int] = {}


def found() -> dict[str, int]:
    uses = {}
    for path in sorted(VIDHOST.rglob("*.py")):
        relative = path.relative_to(VIDHOST)
        if relative in HOMES or ADAPTERS in relative.parents:
            continue
        lines = repo_accesses(path.read_text())
        if lines:
            uses[str(relative)] = len(lines)
    return uses


def test_no_repository_use_outside_the_services_and_adapters() -> None:
    new = {name: n for name, n in found().items() if n > REPO_DEBT.get(name, 0)}
    assert new == {}, "hand the consumer the narrow port it uses (vidhost.core.ports)"


def test_the_recorded_repository_debt_is_exact() -> None:
    fixed = {name: n for name, n in found().items() if n < REPO_DEBT.get(name, 0)}
    gone = sorted(set(REPO_DEBT) - set(found()))
    assert fixed == {} and gone == [], f"lower or strike these in REPO_DEBT: {fixed} {gone}"


def test_only_providers_are_in_debt() -> None:
    assert all(name.startswith("providers/") for name in REPO_DEBT)


def test_the_finder_sees_every_way_of_reaching_a_repository() -> None:
    source = """
a = repo.get_video(v)
b = self.repo.get_task(v, k)
c = container.repo.list_tasks(v)
d = self.service.repo.heartbeat(v, k)
e = Reconciler(c.videos, c.repo)
f = self.tasks.get_task(v, k)
g = reporter.get_video(v)
"""
    assert repo_accesses(source) == [2, 3, 4, 5]


def test_the_check_reads_the_real_tree() -> None:
    assert (VIDHOST / "core" / "videos.py").is_file()
    assert repo_accesses((VIDHOST / "core" / "videos.py").read_text())  # a home uses its repo
    assert all((VIDHOST / home).is_file() for home in HOMES)
