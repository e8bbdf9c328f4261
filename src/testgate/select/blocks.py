"""Code blocks of a Python file and their fingerprints, from :mod:`ast` (like testmon's).

A file is cut into *blocks*: every function and method (a function nested in another belongs
to the outer one) and the *module skeleton*: everything else, with each block's body replaced
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
    #: (first line, last line, qualified name), sorted by first line; spans do not overlap
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    def block_of(self, line: int) -> str:
        """The block a line belongs to (``<module>`` outside every function)."""
        i = bisect.bisect_right(self._starts(), line) - 1
        if i >= 0:
            first, last, name = self.spans[i]
            if first <= line <= last:
                return name
        return MODULE

    def _starts(self) -> list[int]:
        return [s[0] for s in self.spans]

    def blocks_of(self, lines: list[int]) -> set[str]:
        """The blocks *lines* fall in (one bisect per line)."""
        starts = self._starts()
        spans = self.spans
        out: set[str] = set()
        for line in lines:
            i = bisect.bisect_right(starts, line) - 1
            if i >= 0 and line <= spans[i][1]:
                out.add(spans[i][2])
            else:
                out.add(MODULE)
        return out


class _Cutter(ast.NodeTransformer):
    """Collect function blocks and replace their bodies by ``...`` in the skeleton."""

    def __init__(self) -> None:
        self.scope: list[str] = []
        self.found: list[tuple[int, int, str, str]] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        name = ".".join([*self.scope, node.name])
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
    found = sorted(cutter.found)
    blocks: dict[str, str] = {}
    spans: list[tuple[int, int, str]] = []
    for first, last, name, digest in found:
        if name in blocks:  # redefinition (if/else branches, overloads): keep both apart
            n = 2
            while f"{name}#{n}" in blocks:
                n += 1
            name = f"{name}#{n}"
        blocks[name] = digest
        spans.append((first, last, name))
    return FileBlocks(skeleton=_digest(skeleton_tree), blocks=blocks, spans=spans)


def parse_file(path: Path) -> FileBlocks | None:
    """The blocks of a file on disk, or None when it is missing or not valid Python."""
    try:
        return parse_blocks(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return None
