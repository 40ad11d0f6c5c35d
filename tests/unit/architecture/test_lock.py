"""The lock (ADR 0075), read from the files and from this environment's installed metadata:
``constraints.txt`` pins every package that ``pyproject.toml`` brings in (runtime, extras,
build back-end), each at a version the declared ranges allow, and the environment the tests
run in was installed from it. A dependency added to ``pyproject.toml`` without ``make lock``,
or a venv installed without ``-c constraints.txt``, fails here and names the package.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[3]
LOCK = ROOT / "constraints.txt"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins() -> dict[NormalizedName, Version]:
    found: dict[NormalizedName, Version] = {}
    for raw in LOCK.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and ";" not in line and " " not in line, f"not a plain pin: {line!r}"
        assert canonicalize_name(name) not in found, f"pinned twice: {name}"
        found[canonicalize_name(name)] = Version(version)
    return found


def declared() -> list[Requirement]:
    """Every requirement pyproject.toml states: dependencies, every extra, the build system."""
    project = PROJECT["project"]
    texts = [*project["dependencies"], *PROJECT["build-system"]["requires"]]
    for extra in project["optional-dependencies"].values():
        texts += extra
    return [Requirement(text) for text in texts]


def applies(marker: Marker | None, extras: set[str]) -> bool:
    if marker is None:
        return True
    return any(marker.evaluate({"extra": extra}) for extra in extras | {""})


def installed_closure() -> dict[NormalizedName, set[Requirement]]:
    """The packages this environment's ``vidhost[test,dev]`` needs, transitively (markers
    evaluated for this interpreter and the extras asked for), each with the requirements
    that bring it in."""
    wanted: dict[NormalizedName, set[Requirement]] = {}
    todo = [Requirement("vidhost[test,dev]")]
    done: set[tuple[NormalizedName, frozenset[str]]] = set()
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        key = (name, frozenset(req.extras))
        if key in done:
            continue
        done.add(key)
        for text in metadata.requires(name) or []:
            child = Requirement(text)
            if applies(child.marker, set(req.extras)):
                wanted.setdefault(canonicalize_name(child.name), set()).add(child)
                todo.append(child)
    return wanted


def test_every_declared_requirement_is_pinned_within_its_range() -> None:
    locked = pins()
    problems = []
    for req in declared():
        name = canonicalize_name(req.name)
        if name == "vidhost":  # a meta-extra naming the project itself
            continue
        if name not in locked:
            problems.append(f"{req} is not pinned (run `make lock`)")
        elif not req.specifier.contains(locked[name], prereleases=True):
            problems.append(f"{req} does not allow the pinned {locked[name]} (run `make lock`)")
    assert not problems, "\n".join(problems)


def test_the_lock_pins_the_installed_closure_and_this_venv_was_installed_from_it() -> None:
    locked = pins()
    problems = []
    closure = installed_closure()
    for name, reqs in sorted(closure.items()):
        if name not in locked:
            problems.append(f"{name} (needed by {sorted(map(str, reqs))}) is not in the lock")
            continue
        have = Version(metadata.version(name))
        if have != locked[name]:
            problems.append(f"{name} {have} is installed, the lock pins {locked[name]}")
        for req in reqs:
            if not req.specifier.contains(locked[name], prereleases=True):
                problems.append(f"{req} does not allow the pinned {name} {locked[name]}")
    assert not problems, "\n".join(problems)
    # The packages the incident of issue 20 was about are in that closure, pinned.
    assert {"packaging", "redis", "amqp", "psycopg", "boto3"} <= set(closure)


def test_the_lock_pins_the_installer_and_the_build_back_end() -> None:
    locked = pins()
    assert {"pip", "setuptools", "wheel"} <= set(locked)
    assert "vidhost" not in locked
