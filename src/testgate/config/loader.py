"""Load ``testgate.yaml``: parse, validate, and report every problem with its line.

Loading runs in three passes and collects the problems of all of them, so that one
``testgate validate`` shows everything that is wrong:

1. YAML is composed into a node tree (PyYAML keeps each node's line), duplicate keys are
   refused, and every dotted key path (``pipeline.stages.0.steps.1.timeout``) is mapped to
   its line;
2. the data is validated by the pydantic :class:`~testgate.config.schema.Config`;
3. cross-references are checked on the raw data (so they run even when step 2 failed):
   stage and step names, ``depends_on`` and its cycles, services, resources and matrices.

Each problem is one line: ``FILE:LINE: key.path: what is wrong; expected what``.
"""

from __future__ import annotations

import difflib
import os
import re
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from testgate.config.checks import check_references
from testgate.config.files import DEFAULT_CONFIG_NAMES, find_config
from testgate.config.schema import Config, describe
from testgate.errors import ConfigError

__all__ = [
    "DEFAULT_CONFIG_NAMES",
    "Check",
    "InvalidConfig",
    "LoadedConfig",
    "Problem",
    "find_config",
    "load_config",
]


#: words people reach for, mapped to the key testgate uses
_SYNONYMS: dict[str, str] = {
    "command": "run",
    "cmd": "run",
    "script": "run",
    "needs": "depends_on",
    "dependencies": "depends_on",
    "depends": "depends_on",
    "if": "when",
    "condition": "when",
    "working_directory": "cwd",
    "workdir": "cwd",
    "environment": "env",
    "retry": "retries",
    "timeout_minutes": "timeout",
    "report": "reports",
    "service": "services",
    "resource": "resources",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a configuration file."""

    file: str
    line: int
    key: str  # dotted key path, "" for the whole file
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        if self.column is not None:
            where += f":{self.column}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "message": self.message,
        }


class InvalidConfig(ConfigError):
    """A :class:`ConfigError` that also carries the structured :class:`Problem` list."""

    def __init__(self, items: list[Problem], *, slug: str = "config-invalid") -> None:
        lines = [str(p) for p in items]
        super().__init__(lines[0], slug=slug, problems=lines)
        self.items = items


@dataclass(slots=True)
class LoadedConfig:
    """A validated configuration and where it came from."""

    config: Config
    path: Path
    #: the directory of the config file; relative paths in it are relative to this
    root: Path
    #: dotted key path -> line number (1-based), for messages
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def state_dir(self) -> Path:
        """``.testgate/`` next to the configuration file."""
        return self.root / ".testgate"

    def line_of(self, key: str) -> int:
        """The line of *key*, or of its nearest parent that has one (1 for the file)."""
        return _line_of(self.lines, key)


# --------------------------------------------------------------------------- YAML with lines


def _line_of(lines: dict[str, int], key: str) -> int:
    while key:
        if key in lines:
            return lines[key]
        key = key.rpartition(".")[0]
    return lines.get("", 1)


def _join(prefix: str, part: object) -> str:
    return f"{prefix}.{part}" if prefix else str(part)


def _walk_nodes(
    node: yaml.Node, prefix: str, lines: dict[str, int], dups: list[tuple[str, int, int]]
) -> None:
    """Record the line of every key path under *node*, and every duplicate key."""
    stack: list[tuple[yaml.Node, str]] = [(node, prefix)]
    seen: set[int] = set()  # anchors can make the node graph cyclic
    while stack:
        n, path = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            first: dict[str, int] = {}
            for k, v in n.value:
                if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
                    continue
                key_path = _join(path, k.value)
                line = k.start_mark.line + 1
                if k.value in first:
                    dups.append((key_path, line, first[k.value]))
                else:
                    first[k.value] = line
                lines[key_path] = line
                stack.append((v, key_path))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                item_path = _join(path, i)
                lines[item_path] = item.start_mark.line + 1
                stack.append((item, item_path))


def _yaml_hint(what: str) -> str:
    # PyYAML speaks in parser states; say what usually causes them
    if "'\\t'" in what:
        return "; indent with spaces, not tabs"
    if "expected <block end>" in what:
        return "; check the indentation of this line"
    if "mapping values are not allowed" in what:
        return "; check the indentation, or quote a value that contains ': '"
    if "found unexpected end of stream" in what or "while scanning a quoted" in what:
        return "; a quote or bracket is not closed"
    return ""


#: libyaml parses about ten times faster; PyYAML's own parser words errors better
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[str, int], list[Problem]]:
    try:
        return _parse_with(_FAST_LOADER, text, file)
    except InvalidConfig:
        if _FAST_LOADER is yaml.SafeLoader:
            raise
        return _parse_with(yaml.SafeLoader, text, file)  # raises again, with clearer words


#: how many nodes a configuration may expand to once its aliases are followed: a real one has
#: a few thousand; ten levels of ten aliases (a "billion laughs") would have 10**10
MAX_EXPANDED_NODES = 100_000


def _expanded_sizes(root: yaml.Node) -> dict[int, int]:
    """The size of every node of *root* with each alias followed (memoised, iterative); a node
    whose size passes :data:`MAX_EXPANDED_NODES`, or that contains itself, is capped just above
    it, so that no bomb is ever expanded, only counted."""
    cap = MAX_EXPANDED_NODES + 1
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        kids = _children(node)
        if done:
            open_.discard(key)
            sizes[key] = min(cap, 1 + sum(sizes.get(id(k), cap) for k in kids))
            continue
        if key in open_:  # a node that contains itself expands forever
            sizes[key] = cap
            continue
        open_.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _refuse_alias_bomb(node: yaml.Node, file: str) -> None:
    """Raise :class:`InvalidConfig` when the aliases of *node* expand past the limit, naming
    the line of the innermost node that does (where the bomb is built)."""
    sizes = _expanded_sizes(node)
    if sizes[id(node)] <= MAX_EXPANDED_NODES:
        return
    here = node
    while True:
        big = [k for k in _children(here) if sizes.get(id(k), 0) > MAX_EXPANDED_NODES]
        if not big or big[0] is here:
            break
        here = big[0]
    line = here.start_mark.line + 1
    raise InvalidConfig(
        [
            Problem(
                file,
                line,
                "",
                f"YAML aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?); "
                "expected a configuration that reuses an anchor a few times",
            )
        ],
        slug="config-yaml",
    )


def _parse_with(loader_cls: Any, text: str, file: str) -> tuple[Any, dict[str, int], list[Problem]]:
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        lines: dict[str, int] = {"": 1}
        dups: list[tuple[str, int, int]] = []
        if node is not None:
            _refuse_alias_bomb(node, file)
            _walk_nodes(node, "", lines, dups)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, None)
        what = exc.problem or "invalid YAML"
        if exc.context and exc.context_mark and exc.context_mark.line != (line - 1):
            what += f" ({exc.context} at line {exc.context_mark.line + 1})"
        elif exc.context:
            what += f" ({exc.context})"
        what += _yaml_hint(what)
        problem = Problem(file, line, "", f"invalid YAML: {what}", column=col)
        raise InvalidConfig([problem], slug="config-yaml") from None
    except yaml.YAMLError as exc:  # e.g. a reader error: bytes that are not text
        raise InvalidConfig(
            [Problem(file, 1, "", f"invalid YAML: {exc}")], slug="config-yaml"
        ) from None
    finally:
        loader.dispose()
    problems = [
        Problem(
            file,
            line,
            key,
            f"duplicate key '{key.rpartition('.')[2]}' (first at line {first}); "
            "expected each key once",
        )
        for key, line, first in dups
    ]
    return data, lines, problems


# --------------------------------------------------------------------------- pydantic errors


def _unwrap(t: Any) -> Any:
    while True:
        origin = get_origin(t)
        if origin is Annotated:
            t = get_args(t)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(t) if a is not type(None)]
            structured = [
                a
                for a in args
                if get_origin(a) in (list, dict)
                or (isinstance(a, type) and issubclass(a, BaseModel))
            ]
            t = (structured or args)[0]
        else:
            return t


def _model_at(path: list[str | int]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at *path*, if there is one."""
    t: Any = Config
    for part in path:
        t = _unwrap(t)
        origin = get_origin(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            f = t.model_fields.get(str(part))
            if f is None:
                return None
            t = f.annotation
        elif origin is list and isinstance(part, int):
            t = get_args(t)[0]
        elif origin is dict:
            t = get_args(t)[1]
        else:
            return None
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def _data_path(data: Any, loc: tuple[str | int, ...], keep_last: bool) -> list[str | int]:
    """The part of pydantic's *loc* that names real data (drops union and validator tags)."""
    path: list[str | int] = []
    for i, part in enumerate(loc):
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            data = data[part]
            path.append(part)
        elif keep_last and i == len(loc) - 1:
            path.append(part)
    return path


_EXPECTED = {
    "string_type": "a string",
    "string_too_short": "a non-empty string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
}


def _expected(err: Any, path: list[str | int]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in _EXPECTED:
        return str(_EXPECTED[kind])
    if kind in ("model_type", "model_attributes_type"):
        model = _model_at(path)
        keys = ", ".join(model.model_fields) if model else ""
        return f"a mapping with the keys {keys}" if keys else "a mapping"
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        sign, key = bounds[kind]
        return f"a number {sign} {ctx.get(key)}"
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    return str(err["msg"])


def _bare_step(value: str) -> str:
    return (
        f"step '{value}' is only a name and has no command; expected a mapping: "
        f"write '- name: {value}' and, indented below it, 'run: <command>'"
    )


#: sections of the seed documents that testgate does not read (yet), and what to do with them
_SEED_SECTIONS: dict[str, str] = {
    "metrics_dashboard": "move its 'alerts:' list to a top-level 'alerts:' key; the dashboard "
    "itself needs no configuration ('testgate serve')",
    "escalation_matrix": "testgate does not route failures to owners yet",
    "parallel_execution": "parallelism is set per run with --workers and per step with "
    "'resources:'",
    "test_data_orchestration": "testgate does not manage test data",
    "environments": "declare what a step needs under 'services:' and 'resources:'",
    "resource_optimization": "parallelism is set with --workers and 'resources:'",
    "effectiveness_metrics": "express targets as criteria under 'gates:'",
    "monthly_review": "testgate does not schedule reviews",
}


def _top_level_hint(key: str, value: Any) -> str | None:
    """A better message for a top-level key pasted from the seed documents."""
    looks_like_gate = key.endswith("_gate") or (
        isinstance(value, dict) and ("criteria" in value or "enforcement" in value)
    )
    if looks_like_gate:
        return (
            f"'{key}' looks like a quality gate; gates go under 'gates:': add a 'gates:' line "
            f"and indent '{key}:' and its body by two spaces below it (see docs/gates.md)"
        )
    if key in _SEED_SECTIONS:
        return (
            f"testgate does not read '{key}': {_SEED_SECTIONS[key]}; to keep the block in the "
            f"file, rename it 'x-{key}' (keys starting with 'x-' are ignored)"
        )
    return None


def _unknown_key(key: str, model: type[BaseModel] | None) -> str:
    if model is None:
        return f"unknown key '{key}'"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if not close and key in _SYNONYMS and _SYNONYMS[key] in allowed:
        close = [_SYNONYMS[key]]
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    return f"unknown key '{key}'; expected one of: {', '.join(allowed)}"


def _schema_problems(
    exc: ValidationError, data: Any, lines: dict[str, int], file: str
) -> Iterator[Problem]:
    grouped: dict[str, list[tuple[Any, list[str | int]]]] = {}
    for err in exc.errors(include_url=False):
        path = _data_path(data, tuple(err["loc"]), keep_last=err["type"] == "missing")
        key = ".".join(str(p) for p in path)
        grouped.setdefault(key, []).append((err, path))
    for key, errs in grouped.items():
        line = _line_of(lines, key)
        err, path = errs[0]
        kind = err["type"]
        value = err.get("input")
        if kind == "extra_forbidden":
            hint = _top_level_hint(str(path[0]), value) if len(path) == 1 else None
            msg = hint or _unknown_key(str(path[-1]), _model_at(path[:-1]))
            yield Problem(file, line, key, msg)
        elif kind == "missing":
            model = _model_at(path[:-1])
            f = model.model_fields.get(str(path[-1])) if model else None
            what = (
                f"; expected {f.description[0].lower()}{f.description[1:]}"
                if f and f.description
                else ""
            )
            yield Problem(file, line, key, f"missing required key '{path[-1]}'{what}".rstrip("."))
        elif (
            kind in ("model_type", "model_attributes_type")
            and isinstance(value, str)
            and len(path) == 5
            and path[0] == "pipeline"
            and path[3] == "steps"
        ):
            yield Problem(file, line, key, _bare_step(value))
        elif kind in ("value_error", "assertion_error"):
            message = str((err.get("ctx") or {}).get("error", err["msg"]))
            yield Problem(file, line, key, message)
        else:
            expected = " or ".join(dict.fromkeys(_expected(e, p) for e, p in errs))
            yield Problem(file, line, key, f"got {describe(value)}; expected {expected}")


# --------------------------------------------------------------------------- load


#: a check of the raw data beyond the schema: ``(dotted key path, message)`` per problem
Check = Callable[[dict[str, Any]], Iterable[tuple[str, str]]]


def _overlaps(key: str, keys: set[str]) -> bool:
    """Whether *key* is, or lies above or below, a key the schema already found wrong."""
    return any(key == k or key.startswith(k + ".") or k.startswith(key + ".") for k in keys)


def load_config(path: str | Path | None = None, *, checks: Sequence[Check] = ()) -> LoadedConfig:
    """Read, validate and cross-check a configuration; raise :class:`InvalidConfig` listing
    every problem found.

    *checks* add what the schema cannot know (the gates' criteria, metric names): they run on
    the raw data even when the schema found problems, so that one ``testgate validate`` lists
    everything; a problem at a key the schema already reported is not repeated.
    """
    p = Path(path) if path is not None else find_config()
    # messages name the file as the user would type it
    file = str(path) if path is not None else os.path.relpath(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such configuration file", slug="no-config") from None
    except IsADirectoryError:
        raise ConfigError(
            f"{file}: is a directory; expected a configuration file", slug="no-config"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{file}: not UTF-8 text (byte {exc.start}); expected a YAML file",
            slug="config-yaml",
        ) from None
    data, lines, problems = _parse_yaml(text, file)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(
            Problem(
                file,
                1,
                "",
                f"got {describe(data)}; expected a mapping of keys such as version, pipeline, "
                "resources, services, gates",
            )
        )
        raise InvalidConfig(problems)
    # top-level x-* keys hold YAML anchors to reuse (`x-defaults: &d {...}`, then `<<: *d`),
    # as in docker-compose; they are not configuration
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    cfg: Config | None = None
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        problems.extend(_schema_problems(exc, data, lines, file))
    for key, message in check_references(data):
        problems.append(Problem(file, _line_of(lines, key), key, message))
    reported = {p.key for p in problems if p.key}
    for check in checks:
        for key, message in check(data):
            key = re.sub(r"\[(\d+)\]", r".\1", key)
            if not _overlaps(key, reported):
                problems.append(Problem(file, _line_of(lines, key), key, message))
    if problems or cfg is None:
        problems.sort(key=lambda q: q.line)
        raise InvalidConfig(problems)
    resolved = p.resolve()
    return LoadedConfig(config=cfg, path=resolved, root=resolved.parent, lines=lines)
