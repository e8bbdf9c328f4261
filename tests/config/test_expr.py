"""The ``when`` language: parsing, evaluation, errors with columns, and properties."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testgate.config.expr import (
    ExprContext,
    Lit,
    ThresholdParts,
    compile_expr,
    glob_match,
    parse_metric_condition,
    parse_threshold,
)
from testgate.errors import ConfigError

MAIN_PUSH = ExprContext(branch="main", event="push", env={"CI": "true"})


@pytest.mark.parametrize(
    ("source", "ctx", "expected"),
    [
        ("branch == 'main'", MAIN_PUSH, True),
        ('branch == "main"', ExprContext(branch="dev"), False),
        ("branch == 'main' || manual_trigger", ExprContext(branch="dev", event="manual"), True),
        ("branch == 'main' || manual_trigger", ExprContext(branch="dev", event="push"), False),
        ("manual_trigger", ExprContext(event="workflow_dispatch"), True),
        ("manual_trigger", ExprContext(env={"TESTGATE_MANUAL": "1"}), True),
        ("branch == 'main' or env.MANUAL == '1'", ExprContext(env={"MANUAL": "1"}), True),
        ("env.MISSING == ''", ExprContext(), True),
        ("env.MISSING == null", ExprContext(), True),
        ("env.MISSING", ExprContext(), False),
        ("!env.MISSING", ExprContext(), True),
        ("not branch == 'main'", MAIN_PUSH, False),
        ("!branch == 'main'", MAIN_PUSH, False),
        ("event in ['push', 'schedule']", MAIN_PUSH, True),
        ("event not in ['push', 'schedule']", MAIN_PUSH, False),
        ("'ai' in branch", MAIN_PUSH, True),
        ("env.CI == 'true' && (event == 'pull_request' || branch == 'main')", MAIN_PUSH, True),
        ("true and false or true", ExprContext(), True),
        ("true and (false or false)", ExprContext(), False),
        ("env.N > 3", ExprContext(env={"N": "10"}), True),
        ("env.N >= 10.5", ExprContext(env={"N": "10"}), False),
        ("env.N < 3", ExprContext(env={"N": "x"}), False),
        ("env.N == 10", ExprContext(env={"N": "10"}), True),
        ("'b' > 'a'", ExprContext(), True),
        ("branch < 1", ExprContext(), False),
        ("startsWith(branch, 'release/')", ExprContext(branch="release/1.2"), True),
        ("endsWith(branch, '-hotfix')", ExprContext(branch="fix-hotfix"), True),
        ("contains(env.TAGS, 'slow')", ExprContext(env={"TAGS": "fast,slow"}), True),
        ("changed('src/**/*.py')", ExprContext(changed_files=["src/a/b/c.py"]), True),
        ("changed('src/**/*.py')", ExprContext(changed_files=["docs/a.py"]), False),
        ("changed('docs/**', '*.md')", ExprContext(changed_files=["x/README.md"]), True),
        ("changed('src/**')", ExprContext(changed_files=None), True),
        ("changed('src/**')", ExprContext(changed_files=[]), False),
        ("'it\\'s' == \"it's\"", ExprContext(), True),
    ],
)
def test_evaluation(source: str, ctx: ExprContext, expected: bool) -> None:
    assert compile_expr(source).evaluate(ctx) is expected


def test_seed_conditional_parses() -> None:
    expr = compile_expr("branch == 'main' || manual_trigger")
    assert expr.names() == {"branch", "manual_trigger"}
    assert expr.source == "branch == 'main' || manual_trigger"


def test_names_and_functions() -> None:
    expr = compile_expr("changed('a/**') && env.X == '1' && startsWith(branch, event)")
    assert expr.names() == {"env.X", "branch", "event"}
    assert expr.functions() == {"changed", "startsWith"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("branch = 'main'", "column 8: unexpected '='; compare with '=='"),
        ("branch == ", "column 11: expected a value, found the end of the expression"),
        ("brnch == 'main'", "column 1: unknown name 'brnch'; did you mean 'branch'? known: "),
        ("user == 'me'", "known: branch, event, env.NAME, manual_trigger"),
        ("env == 'x'", "column 1: 'env' needs a variable name"),
        ("startswith(branch, 'x')", "unknown function startswith(); did you mean startsWith()?"),
        ("startsWith(branch)", "column 1: startsWith() takes 2 arguments, got 1"),
        ("changed()", "changed() takes at least 1 argument, got 0"),
        ("(branch == 'main'", "column 18: expected ')', found the end of the expression"),
        ("branch == 'main' branch", "column 18: unexpected 'branch'; expected an operator"),
        ("1 < 2 < 3", "column 7: comparisons do not chain"),
        ("branch == 'main", 'column 11: unexpected "\'"; the string is not closed'),
        ("a & b", "column 3: unexpected '&'; 'and' is '&&'"),
        ("", "the expression is empty"),
        ("   ", "column 4: the expression is empty"),
    ],
)
def test_compile_errors_name_the_column(source: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        compile_expr(source)
    assert message in str(info.value)
    assert repr(source) in str(info.value)


def test_non_string_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"must be a string, got \['x'\] \(list\)"):
        compile_expr(["x"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("src/**", "src/a/b.py", True),
        ("src/**", "srcx/a.py", False),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/a/b.py", False),
        ("**/test_*.py", "test_a.py", True),
        ("**/test_*.py", "x/y/test_a.py", True),
        ("src/**/*.py", "src/a.py", True),
        ("*.md", "docs/deep/README.md", True),
        ("./docs/?.md", "docs/a.md", True),
        ("docs/[ab].md", "docs/c.md", False),
        ("docs/[!ab].md", "docs/c.md", True),
    ],
)
def test_glob_match(pattern: str, path: str, expected: bool) -> None:
    assert glob_match(pattern, path) is expected


# --------------------------------------------------------------------------- properties


@dataclass(frozen=True)
class Gen:
    """A generated expression: its text, its precedence, and a reference evaluation."""

    text: str
    prec: int  # 1 or, 2 and, 3 not, 4 atom
    ref: Callable[[ExprContext], bool]


BRANCHES = ["main", "dev", "feature/x", "release/1.0"]
EVENTS = ["push", "pull_request", "manual", "workflow_dispatch", "schedule"]
FILES = ["src/a.py", "src/pkg/b.py", "docs/index.md", "README.md"]

contexts = st.builds(
    ExprContext,
    branch=st.none() | st.sampled_from(BRANCHES),
    event=st.none() | st.sampled_from(EVENTS),
    env=st.dictionaries(
        st.sampled_from(["A", "B", "TESTGATE_MANUAL"]), st.sampled_from(["", "0", "1", "yes"])
    ),
    changed_files=st.none() | st.lists(st.sampled_from(FILES), max_size=3),
)


def _leaf(kind: str, a: str, b: str, n: int, m: int) -> Gen:
    if kind == "eq":
        return Gen(f"branch == '{a}'", 4, lambda c: c.branch == a)
    if kind == "ne":
        return Gen(f"event != '{b}'", 4, lambda c: c.event != b)
    if kind == "in":
        return Gen(f"event in ['{a}', '{b}']", 4, lambda c: c.event in (a, b))
    if kind == "env":
        return Gen(f'env.A == "{b}"', 4, lambda c: c.env.get("A") == b)
    if kind == "manual":
        return Gen(
            "manual_trigger",
            4,
            lambda c: (
                c.event in ("manual", "workflow_dispatch") or c.env.get("TESTGATE_MANUAL") == "1"
            ),
        )
    if kind == "starts":
        return Gen(
            f"startsWith(branch, '{a[:2]}')", 4, lambda c: (c.branch or "").startswith(a[:2])
        )
    if kind == "changed":
        return Gen(
            "changed('src/**')",
            4,
            lambda c: c.changed_files is None or any(f.startswith("src/") for f in c.changed_files),
        )
    if kind == "num":
        return Gen(f"{n} < {m}", 4, lambda c: n < m)
    return Gen(kind, 4, lambda c: kind == "true")


leaves = st.builds(
    _leaf,
    st.sampled_from(
        ["eq", "ne", "in", "env", "manual", "starts", "changed", "num", "true", "false"]
    ),
    st.sampled_from(BRANCHES + EVENTS),
    st.sampled_from([*EVENTS, "1", "yes"]),
    st.integers(0, 20),
    st.integers(0, 20),
)


def _wrap(g: Gen, need: bool) -> str:
    return f"({g.text})" if need else g.text


def _combine(draw_op: str, left: Gen, right: Gen | None, extra_parens: bool) -> Gen:
    if right is None:  # not
        spelled = "!" if draw_op == "!" else "not "
        text = spelled + _wrap(left, left.prec < 3 or extra_parens)
        return Gen(text, 3, lambda c: not left.ref(c))
    prec = 1 if draw_op in ("||", "or") else 2
    lhs = _wrap(left, left.prec < prec or extra_parens)
    text = f"{lhs} {draw_op} {_wrap(right, right.prec <= prec)}"
    if prec == 1:
        return Gen(text, 1, lambda c: left.ref(c) or right.ref(c))
    return Gen(text, 2, lambda c: left.ref(c) and right.ref(c))


def _extend(children: st.SearchStrategy[Gen]) -> st.SearchStrategy[Gen]:
    binary = st.builds(
        _combine, st.sampled_from(["||", "or", "&&", "and"]), children, children, st.booleans()
    )
    unary = st.builds(_combine, st.sampled_from(["!", "not"]), children, st.none(), st.booleans())
    return binary | unary


expressions = st.recursive(leaves, _extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(expressions, contexts)
def test_evaluation_matches_reference(gen: Gen, ctx: ExprContext) -> None:
    expr = compile_expr(gen.text)
    assert expr.evaluate(ctx) is gen.ref(ctx), gen.text


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet="abcenv.()[]'\"!=<>&|,_ 01 branch event manual_trigger changed in not or and",
        max_size=40,
    ),
    contexts,
)
def test_arbitrary_text_compiles_or_raises_config_error(text: str, ctx: ExprContext) -> None:
    try:
        expr = compile_expr(text)
    except ConfigError as exc:
        message = str(exc)
    else:
        assert isinstance(expr.evaluate(ctx), bool)
        return
    assert "column " in message


# --------------------------------------------------------------------------- one language


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # the same parser reads `when:`, alert conditions and thresholds: the same mistakes get
        # the same words wherever they are made
        ("(branch == 'main'", "column 18: expected ')', found the end of the expression"),
        ("coverage = 5", "column 10: unexpected '='; compare with '=='"),
        ("1 < 2 < 3", "column 7: comparisons do not chain"),
    ],
)
def test_when_and_alert_conditions_share_the_parser(source: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        compile_expr(source)
    alert = source.replace("branch == 'main'", "coverage < 5")
    with pytest.raises(ConfigError, match="column"):
        parse_metric_condition(alert)


def test_each_dialect_refuses_what_it_does_not_have_by_column() -> None:
    with pytest.raises(ConfigError, match=r"column 15: unexpected '&&'; an alert condition has no"):
        parse_metric_condition("coverage < 80 && pass_rate < 90")
    with pytest.raises(ConfigError, match=r"column 7: unexpected '\+'; a 'when' expression has no"):
        compile_expr("env.N + 1 > 2")
    with pytest.raises(ConfigError, match="unexpected unit '%' after 5; a 'when' expression takes"):
        compile_expr("env.N > 5%")
    with pytest.raises(ConfigError, match="column 1: unexpected unit 'ms' after 5; an alert"):
        parse_metric_condition("5ms > coverage")


def test_a_threshold_is_a_comparison_of_the_same_language() -> None:
    assert parse_threshold("p95 < 200ms") == ThresholdParts("p95", "<", 200.0, "ms", False)
    assert parse_threshold("100 % pass") == ThresholdParts(None, None, 100.0, "%", True)
    assert parse_threshold("≥ -1.5e3") == ThresholdParts(None, ">=", -1500.0, None, False)
    assert parse_threshold("= 1") == ThresholdParts(None, "==", 1.0, None, False)
    with pytest.raises(ConfigError, match="column 2: expected a value, found '>'"):
        parse_threshold(">> 3")
    # the alert dialect reads the same numbers, units and operators
    cond = parse_metric_condition("coverage.line ≥ 80%")
    assert (cond.op, cond.right) == (">=", Lit(80.0, "%"))
