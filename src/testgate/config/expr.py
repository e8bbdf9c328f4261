"""The ``when`` expression language: a tokenizer and a Pratt parser, never ``eval``.

An expression decides whether a stage or step runs::

    branch == 'main' || manual_trigger
    event in ['push', 'schedule'] && changed('src/**/*.py', 'pyproject.toml')
    not startsWith(branch, 'release/') and env.RUN_SLOW == '1'

Precedence, loosest first: ``||``/``or``, ``&&``/``and``, ``!``/``not``, the comparisons
(``== != < <= > >= in``, ``not in``; they do not chain), then values, calls and parentheses.
``!`` binds like Python's ``not``: ``!branch == 'main'`` means ``!(branch == 'main')``.

Evaluation never raises: a comparison between values of different kinds is false, a missing
environment variable is null (and equals the empty string), and the result is the truthiness of
the final value. Compilation is where mistakes are caught, each with its column.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from testgate.errors import ConfigError

__all__ = [
    "FUNCTIONS",
    "KNOWN_NAMES",
    "Expr",
    "ExprContext",
    "compile_expr",
    "glob_match",
]

#: the values an expression computes with
Value: TypeAlias = "str | float | bool | tuple[Value, ...] | None"

#: identifiers an expression may use (``env.NAME`` stands for any environment variable)
KNOWN_NAMES: tuple[str, ...] = ("branch", "event", "env.NAME", "manual_trigger")

#: function name -> (minimum, maximum) number of arguments (None: no maximum)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "changed": (1, None),
    "startsWith": (2, 2),
    "endsWith": (2, 2),
    "contains": (2, 2),
}

#: events that count as a manual trigger (GitHub calls it workflow_dispatch)
_MANUAL_EVENTS = frozenset({"manual", "workflow_dispatch"})


@dataclass(frozen=True)
class ExprContext:
    """What an expression can see about the run."""

    branch: str | None = None
    event: str | None = None  # push, pull_request, schedule, manual, ...
    env: Mapping[str, str] = field(default_factory=dict)
    changed_files: Sequence[str] | None = None  # None = unknown: changed(...) is True


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>\|\||&&|==|!=|<=|>=|<|>|!|\(|\)|\[|\]|,)
    """,
    re.VERBOSE,
)
_WORD_OPS = {"or": "||", "and": "&&", "not": "!", "in": "in"}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True)
class _Tok:
    kind: str  # num, str, ident, op, end
    text: str
    col: int  # 1-based
    value: Value = None


def _error(source: str, col: int, what: str) -> ConfigError:
    return ConfigError(f"column {col}: {what} (in {source!r})", slug="config-expression")


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _tokenize(source: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            ch = source[pos]
            hint = ""
            if ch == "=":
                hint = "; compare with '=='"
            elif ch == "&":
                hint = "; 'and' is '&&'"
            elif ch == "|":
                hint = "; 'or' is '||'"
            elif ch in "'\"":
                hint = "; the string is not closed"
            raise _error(source, pos + 1, f"unexpected {ch!r}{hint}")
        kind = m.lastgroup or ""
        text = m.group()
        col = pos + 1
        pos = m.end()
        if kind == "ws":
            continue
        if kind == "num":
            toks.append(_Tok("num", text, col, float(text)))
        elif kind == "str":
            toks.append(_Tok("str", text, col, _unescape(text[1:-1])))
        elif kind == "ident" and text in _WORD_OPS:
            toks.append(_Tok("op", _WORD_OPS[text], col))
        elif kind == "ident" and text in ("true", "false", "null"):
            toks.append(_Tok("lit", text, col, {"true": True, "false": False}.get(text)))
        else:
            toks.append(_Tok(kind, text, col))
    toks.append(_Tok("end", "", len(source) + 1))
    return toks


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class _Lit:
    value: Value


@dataclass(frozen=True)
class _Name:
    name: str  # branch, event, manual_trigger, env.X


@dataclass(frozen=True)
class _List:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Not:
    operand: _Node


@dataclass(frozen=True)
class _Bool:
    op: str  # && or ||
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Cmp:
    op: str  # == != < <= > >= in notin
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Call:
    func: str
    args: tuple[_Node, ...]


_Node: TypeAlias = "_Lit | _Name | _List | _Not | _Bool | _Cmp | _Call"

_CMP_OPS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in"})


class _Parser:
    """Recursive descent with one function per precedence level."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.toks = _tokenize(source)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def _describe(self, t: _Tok) -> str:
        return "the end of the expression" if t.kind == "end" else repr(t.text)

    def fail(self, what: str, t: _Tok | None = None) -> ConfigError:
        t = t or self.tok
        return _error(self.source, t.col, what)

    def expect(self, text: str) -> None:
        if self.tok.kind == "op" and self.tok.text == text:
            self.i += 1
            return
        raise self.fail(f"expected {text!r}, found {self._describe(self.tok)}")

    def at(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    def parse(self) -> _Node:
        if self.tok.kind == "end":
            raise self.fail("the expression is empty")
        node = self.parse_or()
        if self.tok.kind != "end":
            raise self.fail(
                f"unexpected {self._describe(self.tok)}; expected an operator or the end"
            )
        return node

    def parse_or(self) -> _Node:
        node = self.parse_and()
        while self.at("||"):
            self.i += 1
            node = _Bool("||", node, self.parse_and())
        return node

    def parse_and(self) -> _Node:
        node = self.parse_not()
        while self.at("&&"):
            self.i += 1
            node = _Bool("&&", node, self.parse_not())
        return node

    def parse_not(self) -> _Node:
        if self.at("!"):
            self.i += 1
            return _Not(self.parse_not())
        return self.parse_cmp()

    def _cmp_op(self) -> str | None:
        t = self.tok
        if t.kind != "op":
            return None
        if t.text in _CMP_OPS:
            return t.text
        if (
            t.text == "!"
            and self.toks[self.i + 1].kind == "op"
            and self.toks[self.i + 1].text == "in"
        ):
            return "notin"
        return None

    def parse_cmp(self) -> _Node:
        left = self.parse_atom()
        op = self._cmp_op()
        if op is None:
            return left
        self.i += 2 if op == "notin" else 1
        right = self.parse_atom()
        if self._cmp_op() is not None:
            raise self.fail("comparisons do not chain; join them with '&&'")
        return _Cmp(op, left, right)

    def parse_atom(self) -> _Node:
        t = self.tok
        if t.kind in ("num", "str", "lit"):
            self.i += 1
            return _Lit(t.value)
        if t.kind == "ident":
            self.i += 1
            if self.at("("):
                return self.parse_call(t)
            return _Name(self.check_name(t))
        if self.at("("):
            self.i += 1
            node = self.parse_or()
            self.expect(")")
            return node
        if self.at("["):
            return self.parse_list()
        if self.at("!"):
            # `a == !b`: allowed, binds to the operand
            self.i += 1
            return _Not(self.parse_atom())
        raise self.fail(f"expected a value, found {self._describe(t)}")

    def parse_list(self) -> _Node:
        self.expect("[")
        items: list[_Node] = []
        while not self.at("]"):
            items.append(self.parse_atom())
            if not self.at("]"):
                self.expect(",")
        self.expect("]")
        return _List(tuple(items))

    def parse_call(self, name: _Tok) -> _Node:
        if name.text not in FUNCTIONS:
            known = ", ".join(f"{f}()" for f in FUNCTIONS)
            close = difflib.get_close_matches(name.text, list(FUNCTIONS), n=1)
            hint = f"did you mean {close[0]}()? " if close else ""
            raise self.fail(f"unknown function {name.text}(); {hint}known: {known}", name)
        self.expect("(")
        args: list[_Node] = []
        while not self.at(")"):
            args.append(self.parse_or())
            if not self.at(")"):
                self.expect(",")
        self.expect(")")
        lo, hi = FUNCTIONS[name.text]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}"
            raise self.fail(
                f"{name.text}() takes {want} argument{'s' if lo != 1 else ''}, got {len(args)}",
                name,
            )
        return _Call(name.text, tuple(args))

    def check_name(self, t: _Tok) -> str:
        name = t.text
        if name in ("branch", "event", "manual_trigger"):
            return name
        if name.startswith("env.") and name.count(".") == 1:
            return name
        if name == "env":
            raise self.fail("'env' needs a variable name, e.g. env.CI", t)
        candidates = ["branch", "event", "manual_trigger", "env"]
        close = difflib.get_close_matches(name.split(".")[0], candidates, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise self.fail(f"unknown name {name!r}; {hint}known: {', '.join(KNOWN_NAMES)}", t)


# --------------------------------------------------------------------------- evaluation


def _truthy(v: Value) -> bool:
    return bool(v)


def _number(v: Value) -> float | None:
    if isinstance(v, bool) or v is None or isinstance(v, tuple):
        return None
    if isinstance(v, float):
        return v
    try:
        return float(v)
    except ValueError:
        return None


def _equal(a: Value, b: Value) -> bool:
    if a is None or b is None:
        # a missing variable is null, and equals the empty string
        return (a is None or a == "") and (b is None or b == "")
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        x, y = _number(a), _number(b)
        return x is not None and y is not None and x == y
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _order(op: str, a: Value, b: Value) -> bool:
    x: float | str | None
    y: float | str | None
    if isinstance(a, str) and isinstance(b, str):
        x, y = a, b
    else:
        x, y = _number(a), _number(b)
        if x is None or y is None:
            return False
    if op == "<":
        return x < y  # type: ignore[operator]
    if op == "<=":
        return x <= y  # type: ignore[operator]
    if op == ">":
        return x > y  # type: ignore[operator]
    return x >= y  # type: ignore[operator]


def _contains(container: Value, item: Value) -> bool:
    if isinstance(container, tuple):
        return any(_equal(item, x) for x in container)
    if isinstance(container, str) and isinstance(item, str):
        return item in container
    return False


def _text(v: Value) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, tuple):
        return ",".join(_text(x) for x in v)
    return v


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")  # zero or more directories
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 2)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(pattern: str, path: str) -> bool:
    """Whether *path* (``/``-separated, relative) matches *pattern*.

    ``*`` and ``?`` stay within one directory, ``**`` crosses directories (``src/**`` is
    everything under src, ``**/test_*.py`` any test file). A pattern without ``/`` matches the
    file name at any depth, like ``.gitignore`` (``*.md``).
    """
    path = path.replace("\\", "/").removeprefix("./")
    pattern = pattern.removeprefix("./")
    if "/" not in pattern:
        return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)
    return _glob_regex(pattern).match(path) is not None


def _name_value(name: str, ctx: ExprContext) -> Value:
    if name == "branch":
        return ctx.branch
    if name == "event":
        return ctx.event
    if name == "manual_trigger":
        return ctx.event in _MANUAL_EVENTS or ctx.env.get("TESTGATE_MANUAL") == "1"
    return ctx.env.get(name[4:])  # env.X


def _call(func: str, args: list[Value], ctx: ExprContext) -> Value:
    if func == "changed":
        if ctx.changed_files is None:
            return True  # unknown changes: run rather than silently skip
        globs = [_text(a) for a in args]
        return any(glob_match(g, f) for f in ctx.changed_files for g in globs)
    a, b = _text(args[0]), _text(args[1])
    if func == "startsWith":
        return a.startswith(b)
    if func == "endsWith":
        return a.endswith(b)
    return b in a  # contains


def _eval(node: _Node, ctx: ExprContext) -> Value:
    if isinstance(node, _Lit):
        return node.value
    if isinstance(node, _Name):
        return _name_value(node.name, ctx)
    if isinstance(node, _List):
        return tuple(_eval(x, ctx) for x in node.items)
    if isinstance(node, _Not):
        return not _truthy(_eval(node.operand, ctx))
    if isinstance(node, _Bool):
        left = _truthy(_eval(node.left, ctx))
        if node.op == "&&":
            return left and _truthy(_eval(node.right, ctx))
        return left or _truthy(_eval(node.right, ctx))
    if isinstance(node, _Cmp):
        a, b = _eval(node.left, ctx), _eval(node.right, ctx)
        if node.op == "==":
            return _equal(a, b)
        if node.op == "!=":
            return not _equal(a, b)
        if node.op == "in":
            return _contains(b, a)
        if node.op == "notin":
            return not _contains(b, a)
        return _order(node.op, a, b)
    return _call(node.func, [_eval(x, ctx) for x in node.args], ctx)


def _walk(node: _Node, visit: Callable[[_Node], None]) -> None:
    visit(node)
    children: tuple[_Node, ...] = ()
    if isinstance(node, _List):
        children = node.items
    elif isinstance(node, _Not):
        children = (node.operand,)
    elif isinstance(node, (_Bool, _Cmp)):
        children = (node.left, node.right)
    elif isinstance(node, _Call):
        children = node.args
    for child in children:
        _walk(child, visit)


@dataclass(frozen=True)
class Expr:
    """A compiled ``when`` expression."""

    source: str
    _tree: _Node = field(repr=False, compare=False)

    def evaluate(self, ctx: ExprContext) -> bool:
        """Whether the expression holds in *ctx* (never raises)."""
        return _truthy(_eval(self._tree, ctx))

    def names(self) -> set[str]:
        """The identifiers used: ``branch``, ``event``, ``manual_trigger``, ``env.X``."""
        found: set[str] = set()

        def visit(n: _Node) -> None:
            if isinstance(n, _Name):
                found.add(n.name)

        _walk(self._tree, visit)
        return found

    def functions(self) -> set[str]:
        """The functions called, e.g. ``{'changed'}`` (a caller may then compute the diff)."""
        found: set[str] = set()

        def visit(n: _Node) -> None:
            if isinstance(n, _Call):
                found.add(n.func)

        _walk(self._tree, visit)
        return found


def compile_expr(text: str) -> Expr:
    """Parse *text*; a mistake raises :class:`ConfigError` naming its column."""
    if not isinstance(text, str):
        raise ConfigError(
            f"an expression must be a string, got {text!r} ({type(text).__name__})",
            slug="config-expression",
        )
    return _compile(text)


@functools.lru_cache(maxsize=1024)
def _compile(text: str) -> Expr:
    # expressions repeat across matrix expansions and runs; parsing once is enough
    return Expr(text, _Parser(text).parse())
