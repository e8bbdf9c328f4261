"""testgate's one expression language: one tokenizer and one parser, never ``eval``.

Three places of the configuration use it, each with the part of the language it needs (a
*dialect*); the grammar, the precedence and the error messages are the same everywhere:

* ``when:`` of a stage or step (:func:`compile_expr`) decides whether it runs::

      branch == 'main' || manual_trigger
      event in ['push', 'schedule'] && changed('src/**/*.py', 'pyproject.toml')

* an alert's ``condition:`` (:func:`parse_metric_condition`) compares arithmetic over metrics::

      coverage < previous - 5%
      tests.failed / tests.total * 100 > 2

* a gate's threshold (:func:`parse_threshold`) is a comparison whose left side is the metric::

      >= 80%      p95 < 200ms      100% pass      == 0

Precedence, loosest first: ``||``/``or``, ``&&``/``and``, ``!``/``not``, the comparisons
(``== != < <= > >= in``, ``not in``; they do not chain), ``+ -``, ``* /``, unary ``-``, then
values, calls and parentheses. ``!`` binds like Python's ``not``: ``!branch == 'main'`` means
``!(branch == 'main')``. A number may carry a unit (``80%``, ``200ms``, ``1.5s``, ``2m``,
``100rps``) where the dialect allows one.

``when`` evaluation never raises: a comparison between values of different kinds is false, a
missing environment variable is null (and equals the empty string), and the result is the
truthiness of the final value. Compilation is where mistakes are caught, each with its column.
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
    "STATS",
    "UNITS",
    "Arith",
    "Bool",
    "Call",
    "Cmp",
    "Expr",
    "ExprContext",
    "ExpressionError",
    "List",
    "Lit",
    "Name",
    "Neg",
    "Node",
    "Not",
    "ThresholdParts",
    "compile_expr",
    "glob_match",
    "parse_metric_condition",
    "parse_metric_expression",
    "parse_threshold",
    "translate_glob",
]

#: the values a ``when`` expression computes with
Value: TypeAlias = "str | float | bool | tuple[Value, ...] | None"

#: identifiers a ``when`` expression may use (``env.NAME`` stands for any environment variable)
KNOWN_NAMES: tuple[str, ...] = ("branch", "event", "env.NAME", "manual_trigger")

#: ``when`` function name -> (minimum, maximum) number of arguments (None: no maximum)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "changed": (1, None),
    "startsWith": (2, 2),
    "endsWith": (2, 2),
    "contains": (2, 2),
}

#: units a number may carry (``m`` is minutes)
UNITS: tuple[str, ...] = ("ms", "s", "m", "%", "rps")
#: the statistic a threshold may start with (``p95 < 200ms``)
STATS: tuple[str, ...] = ("p50", "p75", "p90", "p95", "p99", "avg", "mean", "max", "min", "rate")

#: events that count as a manual trigger (GitHub calls it workflow_dispatch)
_MANUAL_EVENTS = frozenset({"manual", "workflow_dispatch"})


class ExpressionError(ConfigError):
    """An expression that does not parse: *what* is wrong at *column* of *source*."""

    def __init__(self, source: str, column: int, what: str) -> None:
        super().__init__(f"column {column}: {what} (in {source!r})", slug="config-expression")
        self.source = source
        self.column = column
        self.what = what

    @property
    def short(self) -> str:
        """``column N: what``, for messages that already show the expression."""
        return f"column {self.column}: {self.what}"


@dataclass(frozen=True)
class ExprContext:
    """What a ``when`` expression can see about the run."""

    branch: str | None = None
    event: str | None = None  # push, pull_request, schedule, manual, ...
    env: Mapping[str, str] = field(default_factory=dict)
    changed_files: Sequence[str] | None = None  # None = unknown: changed(...) is True


# --------------------------------------------------------------------------- tokens

_NUM = r"(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?:\s*(?P<unit>%|ms|rps|s|m)(?![\w]))?"
_STR = r"""(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_OPS = r"(?P<op>\|\||&&|==|!=|<=|>=|≥|≤|<|>|!|\(|\)|\[|\]|,|\+|-|\*|/|=)"
#: ``when`` names: ``branch``, ``env.CI``
_WORD = r"(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
#: metric names: a segment after the first may start with a digit or hold '-' (``perf.api-gw``)
_METRIC = r"(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_\-]+)*)"

_OP_ALIASES = {"≥": ">=", "≤": "<="}
_WORD_OPS = {"or": "||", "and": "&&", "not": "!", "in": "in"}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True)
class _Tok:
    kind: str  # num, str, ident, lit, op, end
    text: str
    col: int  # 1-based
    value: Value = None
    unit: str | None = None


@dataclass(frozen=True)
class Dialect:
    """The part of the language one place of the configuration uses."""

    #: how messages name this kind of expression
    what: str
    token: re.Pattern[str]
    #: ``&&``, ``||``, ``!``, ``in``, strings, lists, ``true``/``false``/``null``
    logic: bool
    #: ``+ - * /``
    arithmetic: bool
    units: frozenset[str]
    functions: Mapping[str, tuple[int, int | None]]
    #: checks a name: returns it (normalised) or raises through the parser
    check_name: Callable[[_Parser, _Tok], str]
    #: a lone ``=`` means ``==`` (thresholds: ``= 1``); elsewhere it is a mistake for ``==``
    single_equals: bool = False


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _tokenize(source: str, dialect: Dialect) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(source):
        m = dialect.token.match(source, pos)
        if m is None:
            ch = source[pos]
            hint = ""
            if ch == "&":
                hint = "; 'and' is '&&'"
            elif ch == "|":
                hint = "; 'or' is '||'"
            elif ch in "'\"":
                hint = "; the string is not closed"
            raise ExpressionError(source, pos + 1, f"unexpected {ch!r}{hint}")
        kind = m.lastgroup or ""
        text = m.group()
        col = pos + 1
        pos = m.end()
        if kind == "ws":
            continue
        if m.group("num") is not None:
            unit = m.group("unit")
            unit = unit.lower() if unit else None
            if unit is not None and unit not in dialect.units:
                allowed = f"; {dialect.what} takes units {', '.join(sorted(dialect.units))}"
                raise ExpressionError(
                    source,
                    col,
                    f"unexpected unit {unit!r} after {m.group('num')}"
                    + (allowed if dialect.units else f"; {dialect.what} takes no units"),
                )
            toks.append(_Tok("num", text, col, float(m.group("num")), unit))
        elif kind == "str":
            toks.append(_Tok("str", text, col, _unescape(text[1:-1])))
        elif kind == "ident" and dialect.logic and text in _WORD_OPS:
            toks.append(_Tok("op", _WORD_OPS[text], col))
        elif kind == "ident" and dialect.logic and text in ("true", "false", "null"):
            toks.append(_Tok("lit", text, col, {"true": True, "false": False}.get(text)))
        elif kind == "op" and text == "=":
            if not dialect.single_equals:
                raise ExpressionError(source, col, "unexpected '='; compare with '=='")
            toks.append(_Tok("op", "==", col))
        elif kind == "op":
            toks.append(_Tok("op", _OP_ALIASES.get(text, text), col))
        else:
            toks.append(_Tok(kind, text, col))
    toks.append(_Tok("end", "", len(source) + 1))
    return toks


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Lit:
    """A number (with its unit, if any), a string, a boolean or null."""

    value: Value
    unit: str | None = None


@dataclass(frozen=True)
class Name:
    """A name: ``branch``, ``env.X``, a metric such as ``coverage.line``, ``previous``."""

    name: str
    col: int = 0


@dataclass(frozen=True)
class List:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Bool:
    op: str  # && or ||
    left: Node
    right: Node


@dataclass(frozen=True)
class Cmp:
    op: str  # == != < <= > >= in notin
    left: Node
    right: Node


@dataclass(frozen=True)
class Arith:
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]


Node: TypeAlias = "Lit | Name | List | Not | Neg | Bool | Cmp | Arith | Call"

_CMP_OPS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in"})
_ORDER_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class _Parser:
    """Recursive descent with one function per precedence level."""

    def __init__(self, source: str, dialect: Dialect) -> None:
        self.source = source
        self.dialect = dialect
        self.toks = _tokenize(source, dialect)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def describe(self, t: _Tok) -> str:
        return "the end of the expression" if t.kind == "end" else repr(t.text)

    def fail(self, what: str, t: _Tok | None = None) -> ExpressionError:
        t = t or self.tok
        return ExpressionError(self.source, t.col, what)

    def expect(self, text: str) -> None:
        if self.at(text):
            self.i += 1
            return
        raise self.fail(f"expected {text!r}, found {self.describe(self.tok)}")

    def at(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    def not_here(self, feature: str) -> ExpressionError:
        return self.fail(f"unexpected {self.tok.text!r}; {self.dialect.what} has no {feature}")

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.fail("the expression is empty")
        node = self.parse_or()
        self.end()
        return node

    def end(self) -> None:
        if self.tok.kind != "end":
            raise self.fail(
                f"unexpected {self.describe(self.tok)}; expected an operator or the end"
            )

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.at("||"):
            if not self.dialect.logic:
                raise self.not_here("'||'")
            self.i += 1
            node = Bool("||", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.at("&&"):
            if not self.dialect.logic:
                raise self.not_here("'&&'")
            self.i += 1
            node = Bool("&&", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.at("!") and self.dialect.logic:
            self.i += 1
            return Not(self.parse_not())
        return self.parse_cmp()

    def cmp_op(self) -> str | None:
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

    def parse_cmp(self) -> Node:
        left = self.parse_sum()
        op = self.cmp_op()
        if op is None:
            return left
        if op not in _ORDER_OPS and not self.dialect.logic:
            raise self.not_here("'in'")
        self.i += 2 if op == "notin" else 1
        right = self.parse_sum()
        if self.cmp_op() is not None:
            raise self.fail("comparisons do not chain; join them with '&&'")
        return Cmp(op, left, right)

    def parse_sum(self) -> Node:
        node = self.parse_product()
        while self.at("+") or self.at("-"):
            if not self.dialect.arithmetic:
                raise self.not_here("arithmetic")
            op = self.tok.text
            self.i += 1
            node = Arith(op, node, self.parse_product())
        return node

    def parse_product(self) -> Node:
        node = self.parse_unary()
        while self.at("*") or self.at("/"):
            if not self.dialect.arithmetic:
                raise self.not_here("arithmetic")
            op = self.tok.text
            self.i += 1
            node = Arith(op, node, self.parse_unary())
        return node

    def parse_unary(self) -> Node:
        if self.at("-") or self.at("+"):
            if not self.dialect.arithmetic:
                raise self.not_here("arithmetic")
            neg = self.tok.text == "-"
            self.i += 1
            operand = self.parse_unary()
            return Neg(operand) if neg else operand
        return self.parse_atom()

    def parse_atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            return Lit(t.value, t.unit)
        if t.kind in ("str", "lit"):
            if not self.dialect.logic:
                raise self.fail(f"unexpected {t.text!r}; {self.dialect.what} has no strings")
            self.i += 1
            return Lit(t.value)
        if t.kind == "ident":
            self.i += 1
            if self.at("("):
                if not self.dialect.functions:
                    raise self.not_here("functions")
                return self.parse_call(t)
            return Name(self.dialect.check_name(self, t), t.col)
        if self.at("("):
            self.i += 1
            node = self.parse_or()
            self.expect(")")
            return node
        if self.at("["):
            if not self.dialect.logic:
                raise self.not_here("lists")
            return self.parse_list()
        if self.at("!") and self.dialect.logic:
            # `a == !b`: allowed, binds to the operand
            self.i += 1
            return Not(self.parse_atom())
        raise self.fail(f"expected a value, found {self.describe(t)}")

    def parse_list(self) -> Node:
        self.expect("[")
        items: list[Node] = []
        while not self.at("]"):
            items.append(self.parse_atom())
            if not self.at("]"):
                self.expect(",")
        self.expect("]")
        return List(tuple(items))

    def parse_call(self, name: _Tok) -> Node:
        functions = self.dialect.functions
        if name.text not in functions:
            known = ", ".join(f"{f}()" for f in functions)
            close = difflib.get_close_matches(name.text, list(functions), n=1)
            hint = f"did you mean {close[0]}()? " if close else ""
            raise self.fail(f"unknown function {name.text}(); {hint}known: {known}", name)
        self.expect("(")
        args: list[Node] = []
        while not self.at(")"):
            args.append(self.parse_or())
            if not self.at(")"):
                self.expect(",")
        self.expect(")")
        lo, hi = functions[name.text]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}"
            raise self.fail(
                f"{name.text}() takes {want} argument{'s' if lo != 1 else ''}, got {len(args)}",
                name,
            )
        return Call(name.text, tuple(args))


def _when_name(p: _Parser, t: _Tok) -> str:
    name = t.text
    if name in ("branch", "event", "manual_trigger"):
        return name
    if name.startswith("env.") and name.count(".") == 1:
        return name
    if name == "env":
        raise p.fail("'env' needs a variable name, e.g. env.CI", t)
    candidates = ["branch", "event", "manual_trigger", "env"]
    close = difflib.get_close_matches(name.split(".")[0], candidates, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise p.fail(f"unknown name {name!r}; {hint}known: {', '.join(KNOWN_NAMES)}", t)


def _any_name(p: _Parser, t: _Tok) -> str:
    return t.text


def _token_re(ident: str) -> re.Pattern[str]:
    return re.compile(rf"(?P<ws>\s+)|{_NUM}|{_STR}|{ident}|{_OPS}", re.VERBOSE | re.IGNORECASE)


WHEN = Dialect(
    what="a 'when' expression",
    token=_token_re(_WORD),
    logic=True,
    arithmetic=False,
    units=frozenset(),
    functions=FUNCTIONS,
    check_name=_when_name,
)
METRICS = Dialect(
    what="an alert condition",
    token=_token_re(_METRIC),
    logic=False,
    arithmetic=True,
    units=frozenset({"%"}),
    functions={},
    check_name=_any_name,
)
THRESHOLD = Dialect(
    what="a threshold",
    token=_token_re(_WORD),
    logic=False,
    arithmetic=True,
    units=frozenset(UNITS),
    functions={},
    check_name=_any_name,
    single_equals=True,
)


# --------------------------------------------------------------------------- when: evaluation


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


def translate_glob(pattern: str) -> str:
    """*pattern* as the body of a regular expression (no anchors): ``*`` and ``?`` stay within
    one directory, ``**`` crosses directories, ``[...]`` (``[!...]`` negated) is a class.
    The one glob dialect of testgate (``changed()``, scopes, the selection's rules)."""
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
    return "".join(out)


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(translate_glob(pattern) + r"\Z")


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


def _eval(node: Node, ctx: ExprContext) -> Value:
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, Name):
        return _name_value(node.name, ctx)
    if isinstance(node, List):
        return tuple(_eval(x, ctx) for x in node.items)
    if isinstance(node, Not):
        return not _truthy(_eval(node.operand, ctx))
    if isinstance(node, Bool):
        left = _truthy(_eval(node.left, ctx))
        if node.op == "&&":
            return left and _truthy(_eval(node.right, ctx))
        return left or _truthy(_eval(node.right, ctx))
    if isinstance(node, Cmp):
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
    if isinstance(node, Call):
        return _call(node.func, [_eval(x, ctx) for x in node.args], ctx)
    raise AssertionError(f"the 'when' dialect has no {type(node).__name__}")  # pragma: no cover


def walk(node: Node, visit: Callable[[Node], None]) -> None:
    """Call *visit* on *node* and every node below it."""
    visit(node)
    children: tuple[Node, ...] = ()
    if isinstance(node, List):
        children = node.items
    elif isinstance(node, (Not, Neg)):
        children = (node.operand,)
    elif isinstance(node, (Bool, Cmp, Arith)):
        children = (node.left, node.right)
    elif isinstance(node, Call):
        children = node.args
    for child in children:
        walk(child, visit)


@dataclass(frozen=True)
class Expr:
    """A compiled ``when`` expression."""

    source: str
    _tree: Node = field(repr=False, compare=False)

    def evaluate(self, ctx: ExprContext) -> bool:
        """Whether the expression holds in *ctx* (never raises)."""
        return _truthy(_eval(self._tree, ctx))

    def names(self) -> set[str]:
        """The identifiers used: ``branch``, ``event``, ``manual_trigger``, ``env.X``."""
        found: set[str] = set()

        def visit(n: Node) -> None:
            if isinstance(n, Name):
                found.add(n.name)

        walk(self._tree, visit)
        return found

    def functions(self) -> set[str]:
        """The functions called, e.g. ``{'changed'}`` (a caller may then compute the diff)."""
        found: set[str] = set()

        def visit(n: Node) -> None:
            if isinstance(n, Call):
                found.add(n.func)

        walk(self._tree, visit)
        return found


def compile_expr(text: str) -> Expr:
    """Parse a ``when`` expression; a mistake raises :class:`ExpressionError` (a
    :class:`ConfigError`) naming its column."""
    if not isinstance(text, str):
        raise ConfigError(
            f"an expression must be a string, got {text!r} ({type(text).__name__})",
            slug="config-expression",
        )
    return _compile(text)


@functools.lru_cache(maxsize=1024)
def _compile(text: str) -> Expr:
    # expressions repeat across matrix expansions and runs; parsing once is enough
    return Expr(text, _Parser(text, WHEN).parse())


# --------------------------------------------------------------------------- metric conditions


def parse_metric_expression(text: str) -> Node:
    """Arithmetic over metric names (``tests.failed / tests.total * 100``): the tree, for the
    caller to evaluate with its own meaning of names (alerts: this run's and ``previous``)."""
    p = _Parser(text, METRICS)
    if p.tok.kind == "end":
        raise p.fail("the expression is empty")
    node = p.parse_sum()
    p.end()
    return node


def parse_metric_condition(text: str) -> Cmp:
    """``LEFT OP RIGHT`` over metric names (an alert's condition)."""
    p = _Parser(text, METRICS)
    if p.tok.kind == "end":
        raise p.fail("the expression is empty")
    node = p.parse_or()
    if not isinstance(node, Cmp):
        raise p.fail(
            f"expected a comparison such as 'coverage < previous - 5%', found {p.describe(p.tok)}"
        )
    p.end()
    return node


# --------------------------------------------------------------------------- thresholds

_TAILS = frozenset({"pass", "passed", "passes"})


@dataclass(frozen=True)
class ThresholdParts:
    """A threshold as written: ``[stat] [op] number[unit] [pass]``."""

    stat: str | None
    op: str | None
    value: float
    unit: str | None
    tail: bool


def parse_threshold(text: str) -> ThresholdParts:
    """Read ``>= 80%``, ``p95 < 200ms``, ``100% pass``, ``= 1`` or ``≤ 3``: a comparison whose
    left side is the criterion's metric (a statistic of it, for ``p95``).

    A lone ``=`` means ``==`` here.
    """
    p = _Parser(text, THRESHOLD)
    if p.tok.kind == "end":
        raise p.fail("the threshold is empty")
    stat: str | None = None
    if p.tok.kind == "ident" and p.tok.text.lower() in STATS:
        stat = p.tok.text.lower()
        p.i += 1
    op: str | None = None
    if p.tok.kind == "op" and p.tok.text in _ORDER_OPS:
        op = p.tok.text
        p.i += 1
    start = p.tok
    value = p.parse_unary()
    sign = 1.0
    while isinstance(value, Neg):
        sign, value = -sign, value.operand
    if not isinstance(value, Lit) or not isinstance(value.value, float):
        raise p.fail(f"expected a number, found {p.describe(start)}", start)
    tail = False
    if p.tok.kind == "ident" and p.tok.text.lower() in _TAILS:
        tail = True
        p.i += 1
    p.end()
    return ThresholdParts(stat, op, sign * value.value, value.unit, tail)
