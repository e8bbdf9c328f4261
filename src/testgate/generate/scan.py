"""Read a Python package's public API with :mod:`ast`: nothing of the user's code is imported.

For each public module: its public functions and classes with their parameters, annotations and
the exceptions they raise themselves, and the FastAPI/Flask apps with their routes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from testgate.errors import InputError

__all__ = ["Callable_", "ModuleInfo", "Param", "Route", "ScanResult", "scan"]

_SKIP_DIRS = {"tests", "test", "__pycache__", "node_modules", ".venv", "venv", "build", "dist"}
_HTTP = ("get", "post", "put", "patch", "delete", "head", "options")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    annotation: str | None
    required: bool
    #: positional-only, positional-or-keyword, keyword-only, *args or **kwargs
    kind: str = "normal"


@dataclass(slots=True)
class Callable_:
    """A public function, or a class (its constructor's parameters)."""

    module: str
    name: str
    params: list[Param]
    returns: str | None
    raises: list[str] = field(default_factory=list)
    is_class: bool = False
    is_async: bool = False
    line: int = 0

    @property
    def typed(self) -> bool:
        """Every parameter a test must pass has a type hint (and no ``*args``/``**kwargs``)."""
        if self.is_async:
            return False
        for p in self.params:
            if p.kind in ("varargs", "varkw"):
                if p.annotation is None:
                    return False
                continue
            if p.annotation is None and p.required:
                return False
        return True

    def signature(self) -> str:
        args = ", ".join(
            f"{p.name}: {p.annotation}" if p.annotation else p.name for p in self.params
        )
        return f"{self.name}({args})" + (f" -> {self.returns}" if self.returns else "")


@dataclass(frozen=True, slots=True)
class Route:
    module: str
    app: str
    framework: str  # fastapi | flask
    method: str
    path: str
    function: str

    @property
    def has_params(self) -> bool:
        return bool(re.search(r"[{<]", self.path))


@dataclass(slots=True)
class ModuleInfo:
    name: str
    path: Path
    callables: list[Callable_] = field(default_factory=list)
    #: app variable -> framework
    apps: dict[str, str] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    error: str | None = None


@dataclass(slots=True)
class ScanResult:
    #: the directory to put on sys.path for the module names to import
    import_root: Path
    modules: list[ModuleInfo] = field(default_factory=list)


def _text(node: ast.expr | None) -> str | None:
    return None if node is None else ast.unparse(node)


def _params(args: ast.arguments, *, method: bool) -> list[Param]:
    out: list[Param] = []
    positional = [*args.posonlyargs, *args.args]
    defaults_from = len(positional) - len(args.defaults)
    for i, a in enumerate(positional):
        kind = "posonly" if i < len(args.posonlyargs) else "normal"
        out.append(Param(a.arg, _text(a.annotation), i < defaults_from, kind))
    if args.vararg is not None:
        out.append(Param(args.vararg.arg, _text(args.vararg.annotation), False, "varargs"))
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append(Param(a.arg, _text(a.annotation), d is None, "kwonly"))
    if args.kwarg is not None:
        out.append(Param(args.kwarg.arg, _text(args.kwarg.annotation), False, "varkw"))
    if method and out and out[0].name in ("self", "cls"):
        out = out[1:]
    return out


def _raises(fn: ast.AST) -> list[str]:
    """Exception names the function raises itself (``raise ValueError(...)``)."""
    names: list[str] = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, (ast.Name, ast.Attribute)):
                names.append(ast.unparse(exc))
    return list(dict.fromkeys(names))


def _route(dec: ast.expr, apps: dict[str, str], module: str, func: str) -> Route | None:
    if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)):
        return None
    target = dec.func.value
    if not (isinstance(target, ast.Name) and target.id in apps):
        return None
    attr = dec.func.attr
    if not dec.args or not isinstance(dec.args[0], ast.Constant):
        return None
    path = dec.args[0].value
    if not isinstance(path, str):
        return None
    framework = apps[target.id]
    if attr in _HTTP:
        return Route(module, target.id, framework, attr.upper(), path, func)
    if attr in ("route", "api_route"):
        methods = ["GET"]
        for kw in dec.keywords:
            if kw.arg == "methods" and isinstance(kw.value, (ast.List, ast.Tuple)):
                methods = [
                    str(e.value).upper() for e in kw.value.elts if isinstance(e, ast.Constant)
                ]
        return Route(module, target.id, framework, methods[0] if methods else "GET", path, func)
    return None


def _app_framework(value: ast.expr) -> str | None:
    if isinstance(value, ast.Call):
        name = ast.unparse(value.func)
        if name.endswith("FastAPI"):
            return "fastapi"
        if name.endswith("Flask"):
            return "flask"
    return None


def scan_module(path: Path, name: str) -> ModuleInfo:
    info = ModuleInfo(name, path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, OSError) as exc:
        info.error = f"{type(exc).__name__}: {exc}"
        return info
    exported: set[str] | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if (
                    isinstance(t, ast.Name)
                    and t.id == "__all__"
                    and isinstance(node.value, (ast.List, ast.Tuple))
                ):
                    exported = {
                        e.value
                        for e in node.value.elts
                        if isinstance(e, ast.Constant) and isinstance(e.value, str)
                    }
                if isinstance(t, ast.Name):
                    fw = _app_framework(node.value)
                    if fw:
                        info.apps[t.id] = fw
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            fw = _app_framework(node.value)
            if fw:
                info.apps[node.target.id] = fw

    def public(n: str) -> bool:
        return (n in exported) if exported is not None else not n.startswith("_")

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                r = _route(dec, info.apps, name, node.name)
                if r is not None:
                    info.routes.append(r)
            if not public(node.name) or any(
                _route(d, info.apps, name, node.name) for d in node.decorator_list
            ):
                continue
            info.callables.append(
                Callable_(
                    name,
                    node.name,
                    _params(node.args, method=False),
                    _text(node.returns),
                    _raises(node),
                    is_async=isinstance(node, ast.AsyncFunctionDef),
                    line=node.lineno,
                )
            )
        elif isinstance(node, ast.ClassDef) and public(node.name):
            init = next(
                (b for b in node.body if isinstance(b, ast.FunctionDef) and b.name == "__init__"),
                None,
            )
            dataclass_like = any("dataclass" in ast.unparse(d) for d in node.decorator_list)
            if init is not None:
                params = _params(init.args, method=True)
                raises = _raises(init)
            elif dataclass_like:
                params = [
                    Param(b.target.id, _text(b.annotation), b.value is None)
                    for b in node.body
                    if isinstance(b, ast.AnnAssign) and isinstance(b.target, ast.Name)
                ]
                raises = []
            else:
                params, raises = [], []
            bases = {ast.unparse(b) for b in node.bases}
            if bases & {"Exception", "BaseException", "Protocol", "Enum", "IntEnum", "TypedDict"}:
                continue
            info.callables.append(
                Callable_(name, node.name, params, None, raises, is_class=True, line=node.lineno)
            )
    return info


def scan(src: Path) -> ScanResult:
    """Every public module under *src* (a package, or a folder of packages such as ``src/``)."""
    src = src.resolve()
    if not src.is_dir():
        raise InputError(f"{src}: no such directory to generate tests for (give --src DIR)")
    root = src.parent if (src / "__init__.py").exists() else src
    result = ScanResult(root)
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(root)
        parts = list(rel.with_suffix("").parts)
        if any(p in _SKIP_DIRS or p.startswith(".") for p in rel.parts[:-1]):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not parts or any(p.startswith("_") for p in parts) or parts[-1].startswith("test"):
            continue
        if any(not p.isidentifier() for p in parts):
            continue
        if parts[-1] in ("setup", "conftest", "noxfile", "__main__"):
            continue
        result.modules.append(scan_module(path, ".".join(parts)))
    if not result.modules:
        raise InputError(f"{src}: no public Python module found to generate tests for")
    return result
