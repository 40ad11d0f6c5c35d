"""Reading a module's imports for the architecture tests (not a test module)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path, package: str | None = None, *, names: bool = False) -> list[str]:
    """Every module ``path`` imports, relative imports resolved against its ``package``
    (by default the one its place under the repository root names). With ``names``, each
    name of a ``from m import a, b`` is listed as ``m.a``, ``m.b`` (a module, or a name in
    ``m``: ``import_graph`` tells them apart)."""
    if package is None:
        package = ".".join(path.resolve().relative_to(ROOT).parent.parts)
    parts = package.split(".")
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if names:
                    found += [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    found.append(str(node.module))
                continue
            base = ".".join(parts[: len(parts) - node.level + 1])
            if node.module and names:
                found += [f"{base}.{node.module}.{alias.name}" for alias in node.names]
            elif node.module:
                found.append(f"{base}.{node.module}")
            else:  # from .. import settings: each name may be a module
                found += [f"{base}.{alias.name}" for alias in node.names]
    return found


VIDHOST = ROOT / "vidhost"


def module_name(path: Path) -> str:
    """``vidhost/core/videos.py`` -> ``vidhost.core.videos`` (a package is its ``__init__``)."""
    parts = path.resolve().relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def vidhost_modules() -> dict[str, Path]:
    """Every module of vidhost, by dotted name."""
    return {module_name(p): p for p in sorted(VIDHOST.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """Module -> the vidhost modules it imports: every import, at the top, in a function or
    under ``TYPE_CHECKING`` alike. ``from vidhost.a import b`` is an edge to the module
    ``vidhost.a.b`` when there is one, else to ``vidhost.a``."""
    modules = vidhost_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for imported in imported_modules(path, package, names=True):
            target = imported
            while target and target not in modules:  # vidhost.a.b.Name -> vidhost.a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def path_between(graph: dict[str, set[str]], start: str, goal: str) -> list[str]:
    """One shortest import chain from ``start`` to ``goal`` (breadth first), for messages."""
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph.get(v, ())):
            if w == goal:
                previous[w] = v
                chain = [w, v]
                while chain[-1] != start:
                    chain.append(previous[chain[-1]])
                return chain[::-1]
            if w not in previous and w != start:
                previous[w] = v
                if w == goal:
                    chain = [w]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return chain[::-1]
                queue.append(w)
    return []


def _checked_for_none(node: ast.expr) -> str | None:
    """``x is None`` / ``x is not None`` / ``x == None``: ``x`` (as AST text), else None."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        right = node.comparators[0]
        if isinstance(right, ast.Constant) and right.value is None:
            return ast.dump(node.left)
    return None


def _checked_for_deleted(node: ast.expr) -> str | None:
    """``x.state is/is not/==/!= <...>.DELETED`` (or ``"deleted"``): ``x``, else None."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return None
    left, right = node.left, node.comparators[0]
    deleted = (isinstance(right, ast.Attribute) and right.attr == "DELETED") or (
        isinstance(right, ast.Constant) and right.value == "deleted"
    )
    if deleted and isinstance(left, ast.Attribute) and left.attr == "state":
        return ast.dump(left.value)
    return None


def missing_or_deleted_checks(source: str) -> list[int]:
    """Lines of ``source`` that write the "video missing or deleted" rule by hand: one boolean
    expression that compares a thing with ``None`` and that same thing's ``.state`` with
    ``DELETED``, either way round (``v is None or v.state is S.DELETED``, ``v is not None and
    v.state is not VideoState.DELETED``). Its home is ``vidhost.core.models.present``. The
    rule split over two statements (``if v is None: ...`` then ``if v.state is ...``) is not
    seen; no code writes it that way today."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BoolOp):
            nones = {_checked_for_none(v) for v in node.values} - {None}
            deleted = {_checked_for_deleted(v) for v in node.values} - {None}
            if nones & deleted:
                lines.add(node.lineno)
    return sorted(lines)


def _is_repo(node: ast.expr) -> bool:
    """``repo`` or ``<anything>.repo``: a repository reached by that name."""
    return (isinstance(node, ast.Name) and node.id == "repo") or (
        isinstance(node, ast.Attribute) and node.attr == "repo"
    )


def repo_accesses(source: str) -> list[int]:
    """Lines of ``source`` that use a repository reached by the name ``repo``: ``repo.x``,
    ``self.repo.x``, ``container.repo.x``, ``service.repo.x`` (reaching through a service to
    its store). Passing the object on (``Reconciler(c.repo)``) is not a use of it."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and _is_repo(node.value)
    )
