"""The Python import graph of a step's code, built with grimp (no BUILD files).

Selection uses it where coverage cannot see: a module-level change (a constant another module
imported, a signature, an import), a new module, a module the coverage map never measured.
The packages are the directories with an ``__init__.py`` directly under the step's directory,
its ``src/``, the repository root or its ``src/``; test files that are not in a package (the
usual ``tests/`` folder) have their imports read with :mod:`ast`. Namespace packages (no
``__init__.py``) are not followed: see docs/selection.md.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["ImportGraph", "file_imports"]

_SKIP_DIRS = {"node_modules", "build", "dist", "site-packages", "__pycache__"}


class _Finder:
    """grimp's package finder, answering from the directories found here rather than from
    this process's ``sys.path`` and ``sys.modules`` (which hold testgate's own modules)."""

    def __init__(self, dirs: dict[str, Path]) -> None:
        self.dirs = dirs

    def determine_package_directories(self, package_name: str, file_system: Any) -> set[str]:
        return {str(self.dirs[package_name])}


@contextlib.contextmanager
def _finder(dirs: dict[str, Path]) -> Iterator[None]:
    from grimp.application.config import settings

    old = settings.PACKAGE_FINDER
    settings.configure(PACKAGE_FINDER=_Finder(dirs))
    try:
        yield
    finally:
        settings.configure(PACKAGE_FINDER=old)


def file_imports(path: Path, module: str | None = None) -> set[str]:
    """The modules a file imports (absolute names; relative imports resolved against
    *module* when it is known). Empty when the file cannot be parsed."""
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return set()
    out: set[str] = set()
    package = module.rpartition(".")[0] if module else ""
    if module and path.name == "__init__.py":
        package = module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                if not package:
                    continue
                parts = package.split(".")
                if node.level - 1 > len(parts):
                    continue
                parent = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{parent}.{base}" if base else parent
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names if a.name != "*")
    return {m for m in out if m}


class ImportGraph:
    """Modules of the packages under some source roots, and who imports whom."""

    def __init__(self, roots: Iterable[Path], *, cache_dir: Path | None = None) -> None:
        self.packages: dict[str, Path] = {}
        for root in roots:
            if not root.is_dir():
                continue
            for child in sorted(root.iterdir()):
                if (
                    child.is_dir()
                    and child.name.isidentifier()
                    and child.name not in _SKIP_DIRS
                    and (child / "__init__.py").is_file()
                    and child.name not in self.packages
                ):
                    self.packages[child.name] = child.resolve()
        self._imports: dict[str, set[str]] = {}
        self._importers: dict[str, set[str]] = {}
        self.files: dict[str, Path] = {}
        self.problem: str | None = None
        if self.packages:
            self._build(cache_dir)

    def _build(self, cache_dir: Path | None) -> None:
        import grimp

        try:
            with _finder(self.packages):
                graph = grimp.build_graph(
                    *sorted(self.packages),
                    cache_dir=str(cache_dir) if cache_dir is not None else None,
                )
        except Exception as exc:  # grimp's own errors: a syntax error in a module, ...
            self.problem = f"the import graph could not be built: {type(exc).__name__}: {exc}"
            return
        for module in graph.modules:
            imported = graph.find_modules_directly_imported_by(module)
            self._imports[module] = set(imported)
            for other in imported:
                self._importers.setdefault(other, set()).add(module)
            path = self._path_of(module)
            if path is not None:
                self.files[module] = path

    def _path_of(self, module: str) -> Path | None:
        top, _, rest = module.partition(".")
        base = self.packages.get(top)
        if base is None:
            return None
        parts = rest.split(".") if rest else []
        as_file = base.joinpath(*parts).with_suffix(".py") if parts else None
        if as_file is not None and as_file.is_file():
            return as_file
        init = base.joinpath(*parts, "__init__.py")
        return init if init.is_file() else None

    def module_of(self, path: Path) -> str | None:
        """The module a file is, when it lies in one of the packages."""
        path = path.resolve()
        for name, base in self.packages.items():
            try:
                rel = path.relative_to(base)
            except ValueError:
                continue
            parts = [name, *rel.with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            return ".".join(parts)
        return None

    def known(self, module: str) -> bool:
        return module in self._imports

    def importers(self, modules: Iterable[str]) -> set[str]:
        """*modules* and every module that imports one of them, directly or transitively."""
        seen: set[str] = set()
        todo = list(modules)
        while todo:
            m = todo.pop()
            if m in seen:
                continue
            seen.add(m)
            todo.extend(self._importers.get(m, ()))
            # importing a.b.c runs a/__init__ and a/b/__init__ too: a change to a package's
            # __init__ reaches everyone who imports anything below it
            prefix = m + "."
            for other, who in self._importers.items():
                if other.startswith(prefix):
                    todo.extend(who)
        return seen

    def reaches(self, imports: set[str], affected: set[str]) -> set[str]:
        """The modules among *affected* that a file importing *imports* loads: an import of
        ``a.b.c`` loads ``a``, ``a.b`` and ``a.b.c``."""
        hit: set[str] = set()
        for name in imports:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix in affected:
                    hit.add(prefix)
        return hit
