"""The error catalogue against the source tree: every code raised is listed, with one status.

The source of ``vidhost/`` is parsed (``ast``), not imported, so a code added anywhere fails
here until it is in ``vidhost/core/error_codes.py`` with the status its raise sites imply:

- ``ApiError(status, "code", ...)``: the explicit status;
- ``SomeDomainError(..., code="code")`` and ``bad_header(msg, "code")``: the status of the
  class's own code (``NotFound`` -> 404, ``InvalidInput`` -> 400 ...);
- ``MediaError("code", ...)``, ``TaskFailed(...)``, ``EnhanceSpecError(...)`` (code first,
  literal or a module constant), ``error_body(msg, "code")``, bodies written out as
  ``{"error": ..., "code": "..."}``, and class attributes ``code = "..."``: listed, any status.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from vidhost.core import error_codes
from vidhost.core.error_codes import CATALOGUE, HTTP_STATUS_CODES

ROOT = Path(__file__).resolve().parents[3] / "vidhost"
CODE_FIRST = {"MediaError", "TaskFailed", "EnhanceSpecError"}
"""Error classes whose first positional argument is the code."""


@dataclass(frozen=True)
class Site:
    code: str
    status: int | None
    """The status the raise site implies; None when it implies none."""
    where: str


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(ROOT.parent)), ast.parse(path.read_text(), str(path)))
        for path in sorted(ROOT.rglob("*.py"))
    ]


def _constants(modules: list[tuple[str, ast.Module]]) -> dict[str, str]:
    """Module-level ``NAME = "text"`` (or ``NAME: Final = "text"``) of every module."""
    found: dict[str, str] = {}
    for _, tree in modules:
        for node in tree.body:
            target, value = None, None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                found[target.id] = value.value
    return found


def _classes(
    modules: list[tuple[str, ast.Module]], constants: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Every class's base names, and the ``code = "..."`` (or ``code = CONSTANT``) each class
    body sets."""
    bases: dict[str, list[str]] = {}
    codes: dict[str, str] = {}
    for _, tree in modules:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
            for item in node.body:
                if (
                    isinstance(item, ast.Assign | ast.AnnAssign)
                    and isinstance(
                        t := (item.targets[0] if isinstance(item, ast.Assign) else item.target),
                        ast.Name,
                    )
                    and t.id == "code"
                    and (code := _text(item.value, constants)) is not None
                ):
                    codes[node.name] = code
    return bases, codes


def _ancestry(name: str, bases: dict[str, list[str]]) -> list[str]:
    order, todo = [], [name]
    while todo:
        current = todo.pop(0)
        if current in order:
            continue
        order.append(current)
        todo.extend(bases.get(current, []))
    return order


def _own_code(name: str, bases: dict[str, list[str]], codes: dict[str, str]) -> str | None:
    return next((codes[c] for c in _ancestry(name, bases) if c in codes), None)


def _text(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def sites() -> list[Site]:
    modules = _modules()
    constants = _constants(modules)
    bases, class_codes = _classes(modules, constants)
    found: list[Site] = []
    for rel, tree in modules:
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ClassDef) and node.name in class_codes:
                found.append(Site(class_codes[node.name], None, where))
            if isinstance(node, ast.Dict):  # a body written out: {"error": ..., "code": ...}
                keys = {
                    k.value: v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant)
                }
                if "error" in keys and (code := _text(keys.get("code"), constants)):
                    found.append(Site(code, None, where))
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            is_domain = "DomainError" in _ancestry(name, bases)
            implied = None
            if is_domain or name == "bad_header":
                own = (
                    "invalid_request"
                    if name == "bad_header"
                    else _own_code(name, bases, class_codes)
                )
                implied = error_codes.status_of(own) if own else None
            if name == "ApiError":  # ApiError(status=..., code=...): the status it names
                status_kw = next((k.value for k in node.keywords if k.arg == "status"), None)
                if isinstance(status_kw, ast.Constant) and isinstance(status_kw.value, int):
                    implied = status_kw.value
            for kw in node.keywords:
                if kw.arg == "code" and (code := _text(kw.value, constants)) is not None:
                    found.append(Site(code, implied, where))
            if name == "ApiError" and len(node.args) >= 2:
                status, code = node.args[0], _text(node.args[1], constants)
                if code is not None and isinstance(status, ast.Constant):
                    found.append(Site(code, int(status.value), where))
            positional = {"bad_header": 1, "error_body": 1, **dict.fromkeys(CODE_FIRST, 0)}.get(
                name
            )
            if positional is not None and len(node.args) > positional:
                code = _text(node.args[positional], constants)
                if code is not None:
                    found.append(Site(code, implied, where))
    return found


SITES = sites()


def test_the_scan_sees_the_raise_sites_it_should() -> None:
    """A guard on the scanner itself: each kind of raise site is found."""
    codes = {s.code for s in SITES}
    assert {
        "file_too_large",  # ApiError(413, ...) and TooLarge
        "video_not_found",  # NotFound(code=...)
        "invalid_metadata",  # bad_header(msg, "invalid_metadata")
        "not_a_video",  # MediaError(NOT_A_VIDEO, ...)
        "no_source",  # MediaError("no_source", ...)
        "upload_locked",  # class attribute
        "url_forbidden",  # class attribute set from a module constant
        "unsupported_tus_version",  # ApiError on several lines
    } <= codes
    assert len(SITES) > 100


def test_every_code_raised_is_in_the_catalogue() -> None:
    missing = sorted({f"{s.code} ({s.where})" for s in SITES if s.code not in CATALOGUE})
    assert not missing, "add these codes to vidhost/core/error_codes.py: " + ", ".join(missing)


def test_raise_sites_agree_with_the_catalogue_status() -> None:
    wrong = [
        f"{s.where}: {s.code} is raised as {s.status}, the catalogue says "
        f"{CATALOGUE[s.code].status}"
        for s in SITES
        if s.status is not None and s.code in CATALOGUE and CATALOGUE[s.code].status != s.status
    ]
    assert not wrong, "\n".join(wrong)


def test_no_code_maps_to_two_statuses() -> None:
    statuses: dict[str, set[int]] = defaultdict(set)
    for s in SITES:
        if s.status is not None:
            statuses[s.code].add(s.status)
    for entry in CATALOGUE.values():
        statuses[entry.code].add(entry.status)
    assert {c: v for c, v in statuses.items() if len(v) > 1} == {}


def test_the_catalogue_refuses_a_code_listed_twice() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        error_codes._catalogue(("a", 400, "x"), ("a", 404, "y"))


def test_catalogue_entries_are_well_formed() -> None:
    for entry in CATALOGUE.values():
        assert entry.code.isidentifier() and entry.code == entry.code.lower(), entry
        assert 400 <= entry.status <= 599, entry
        assert entry.description and "\n" not in entry.description, entry
    for status, code in HTTP_STATUS_CODES.items():
        assert CATALOGUE[code].status == status
