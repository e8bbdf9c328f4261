"""Code blocks of a Python file and their fingerprints, from :mod:`ast` (like testmon's).

A file is cut into *blocks*: every function and method, a function nested in another included
(its ``def`` line belongs to the outer one, its body is a block of its own), and the *module
skeleton*: everything else, with each block's body replaced
by a placeholder. Signatures, decorators and default values stay in the skeleton, since they
run when the module is imported. Each block gets a checksum of its AST without line numbers and
without its docstring, so

- a comment, docstring, blank-line or formatting edit changes no checksum;
- moving a function up or down changes no checksum;
- an edit to one function's body changes only that function's checksum;
- an edit at module level (a constant, an import, a class attribute, a signature) changes the
  skeleton's checksum.

Line numbers map what coverage.py measured (lines) onto blocks: a line inside a function's
body belongs to it, any other line (its ``def`` line and decorators included: they run at
import time) to the pseudo-block ``<module>``.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MODULE", "FileBlocks", "parse_blocks", "parse_file"]

#: the pseudo-block of a file's module-level lines
MODULE = "<module>"

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _digest(node: ast.AST) -> str:
    text = ast.dump(node, annotate_fields=False, include_attributes=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def _strip_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return body[1:]
    return body


@dataclass(slots=True)
class FileBlocks:
    """The blocks of one file: checksums and line spans."""

    #: checksum of the module skeleton
    skeleton: str
    #: qualified name -> checksum of the body
    blocks: dict[str, str] = field(default_factory=dict)
    #: (first line, last line, qualified name), sorted by first line; a nested function's
    #: span lies inside its outer function's
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    #: for each span, the index of the span it is nested in (-1: none)
    parents: list[int] = field(default_factory=list)

    def block_of(self, line: int) -> str:
        """The block a line belongs to (``<module>`` outside every function)."""
        return self._lookup(self._starts(), line)

    def _starts(self) -> list[int]:
        return [s[0] for s in self.spans]

    def _lookup(self, starts: list[int], line: int) -> str:
        # the last span starting at or before the line; when it ended before, the line is in
        # one of its enclosing spans (spans nest, they never overlap otherwise)
        i = bisect.bisect_right(starts, line) - 1
        while i >= 0 and line > self.spans[i][1]:
            i = self.parents[i]
        return self.spans[i][2] if i >= 0 else MODULE

    def blocks_of(self, lines: list[int]) -> set[str]:
        """The blocks *lines* fall in (one bisect per line)."""
        starts = self._starts()
        return {self._lookup(starts, line) for line in lines}


class _Cutter(ast.NodeTransformer):
    """Collect function blocks and replace their bodies by ``...`` in the skeleton."""

    def __init__(self) -> None:
        self.scope: list[str] = []
        self.found: list[tuple[int, int, str, str]] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        name = ".".join([*self.scope, node.name])
        # a function defined inside this one is a block of its own (its body runs only when
        # it is called); its ``def`` line stays here, since it runs with this body
        self.scope.append(node.name)
        node.body = [self.visit(stmt) for stmt in node.body]
        self.scope.pop()
        body = _strip_docstring(node.body)
        digest = _digest(ast.Module(body=body, type_ignores=[]))
        # the body's lines only: the decorators, the ``def`` line and the default values run
        # when the module is imported, so they are module-level lines
        first = node.body[0].lineno
        last = node.end_lineno or node.lineno
        self.found.append((first, last, name, digest))
        # the signature and decorators stay: they run at import time
        node.body = [ast.Expr(ast.Constant(...))]
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return self._function(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.scope.append(node.name)
        node.body = _strip_docstring(node.body) or [ast.Pass()]
        self.generic_visit(node)
        self.scope.pop()
        return node


def parse_blocks(source: str | bytes, filename: str = "<unknown>") -> FileBlocks:
    """The blocks of *source*; raises :class:`SyntaxError` (or ``ValueError``) when it is not
    Python."""
    tree = ast.parse(source, filename=filename)
    tree.body = _strip_docstring(tree.body)
    cutter = _Cutter()
    skeleton_tree = cutter.visit(tree)
    found = sorted(cutter.found, key=lambda f: (f[0], -f[1]))
    blocks: dict[str, str] = {}
    spans: list[tuple[int, int, str]] = []
    parents: list[int] = []
    open_spans: list[int] = []
    for first, last, name, digest in found:
        while open_spans and spans[open_spans[-1]][1] < first:
            open_spans.pop()
        parents.append(open_spans[-1] if open_spans else -1)
        open_spans.append(len(spans))
        if name in blocks:  # redefinition (if/else branches, overloads): keep both apart
            n = 2
            while f"{name}#{n}" in blocks:
                n += 1
            name = f"{name}#{n}"
        blocks[name] = digest
        spans.append((first, last, name))
    return FileBlocks(skeleton=_digest(skeleton_tree), blocks=blocks, spans=spans, parents=parents)


def parse_file(path: Path) -> FileBlocks | None:
    """The blocks of a file on disk, or None when it is missing or not valid Python."""
    try:
        return parse_blocks(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return None
