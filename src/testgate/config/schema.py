"""The schema of ``testgate.yaml``, in pydantic. Every option is declared once, with its help.

The pipeline follows the seed's shape: ``pipeline.stages[]`` with ``name``, ``depends_on``,
``parallel``, ``when`` (the seed's ``conditional`` is accepted as an alias) and ``steps[]``.
Every section is typed here, gates, alerts, quarantine and notify included, so that one file
validates as a whole and a JSON Schema of ``testgate.yaml`` can be generated from this model
(:mod:`testgate.config.jsonschema`); what a gate's criteria mean is checked by the gates when
the configuration is loaded.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

__all__ = [
    "AlertSpec",
    "BaselineComparisonSpec",
    "CacheSpec",
    "Config",
    "CriterionSpec",
    "DeploymentGateSpec",
    "Duration",
    "EnforcementSpec",
    "GateSpec",
    "HistorySpec",
    "NotifySpec",
    "PipelineSpec",
    "QuarantineEntrySpec",
    "QuarantineSpec",
    "ReadySpec",
    "ReportSpec",
    "ScopeSpec",
    "SecretsSpec",
    "SelectionSpec",
    "ServiceSpec",
    "StageSpec",
    "StepSpec",
    "TriageSpec",
    "WebhookSpec",
    "describe",
    "parse_duration",
    "yaml_type",
]

if TYPE_CHECKING:
    from testgate.masking import Masker

_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_PARTS = re.compile(r"^(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)\s*)+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_HELP = "a duration such as 90, 90s, 500ms, 5m, 1h or 1h30m"


def describe(value: Any) -> str:
    """``'abc' (string)``: a value as the user wrote it, with its YAML type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (boolean)"  # as YAML spells it
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({yaml_type(value)})"


def yaml_type(value: Any) -> str:
    """The YAML name of a Python value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def parse_duration(value: Any) -> float:
    """Seconds from ``90``, ``90s``, ``1.5s``, ``500ms``, ``5m``, ``1h``, ``1h30m`` or ``1d``.

    A bare number is seconds. Raises :class:`ValueError` with a message that shows the bad
    value and what would be right.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"got {describe(value)}; expected {_DURATION_HELP} (not negative)")
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return float(text)
        if _PARTS.match(text):
            return sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    raise ValueError(f"got {describe(value)}; expected {_DURATION_HELP}")


#: what YAML may say for a duration (the JSON Schema describes the input, not the seconds)
_DURATION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*)+$"},
    ],
    "description": _DURATION_HELP,
}

Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_SCHEMA)]
PositiveDuration = Annotated[
    float, BeforeValidator(parse_duration), Field(gt=0), WithJsonSchema(_DURATION_SCHEMA)
]


def _command(value: Any) -> Any:
    # one clear message instead of pydantic's one-error-per-union-member
    if isinstance(value, str) and value.strip():
        return value
    if (
        isinstance(value, list)
        and value
        and all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in value)
    ):
        return [str(x) for x in value]
    raise ValueError(
        f"got {describe(value)}; expected a command: a non-empty string run by the shell, "
        "or a list of arguments such as [pytest, -q]"
    )


Command = Annotated[
    str | list[str],
    BeforeValidator(_command),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "items": {"type": ["string", "number"]}},
            ]
        }
    ),
]


def _expression(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):  # `when: false` switches a stage off
        return "true" if value else "false"
    from testgate.config.expr import compile_expr  # local: expr imports errors only
    from testgate.errors import ConfigError

    if not isinstance(value, str):
        raise ValueError(f"got {describe(value)}; expected an expression string")
    try:
        compile_expr(value)
    except ConfigError as exc:
        raise ValueError(f"cannot parse the expression: {exc}; see docs/expressions.md") from None
    return value


Expression = Annotated[
    str | None,
    BeforeValidator(_expression),
    WithJsonSchema({"type": ["string", "boolean", "null"]}),
]


def _scalar(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"got {describe(value)}; expected a string, number or boolean")


Scalar = Annotated[str | int | float | bool, BeforeValidator(_scalar)]
Count = Annotated[int, Field(ge=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


class ReportSpec(_Strict):
    """A report a step writes: a path or glob relative to the config file, and its format."""

    path: str = Field(description="Path or glob of the report, relative to the config file.")
    format: str | None = Field(
        default=None, description="Force a format (e.g. junit, cobertura); detected if omitted."
    )


def _report(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


class ReadySpec(_Strict):
    """How to tell that a service is ready: exactly one of http, tcp or command."""

    http: str | None = Field(default=None, description="URL that must answer 2xx or 3xx.")
    tcp: str | None = Field(default=None, description="host:port that must accept a connection.")
    command: Command | None = Field(default=None, description="Command that must exit 0.")
    timeout: Duration = Field(default=30.0, description="Give up after this long.")
    interval: Duration = Field(default=0.2, description="Time between probes.")

    @model_validator(mode="after")
    def _one_probe(self) -> ReadySpec:
        given = [k for k in ("http", "tcp", "command") if getattr(self, k) is not None]
        if len(given) != 1:
            got = f"got {' and '.join(given)}" if given else "got none of them"
            raise ValueError(f"{got}; expected exactly one of 'http', 'tcp' or 'command'")
        return self


_PORT = re.compile(
    r"^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:]+\]):)?(?:\d{1,5}:)?\d{1,5}(?:/(?:tcp|udp))?$"
)


def _port(value: Any) -> Any:
    # 5432, "5432", "15432:5432", "127.0.0.1:5432:5432", "53/udp": what `docker run -p` takes
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
        return str(value)
    if isinstance(value, str) and _PORT.match(value.strip()):
        return value.strip()
    raise ValueError(
        f"got {describe(value)}; expected a port such as 5432, '15432:5432' (host:container) "
        "or '127.0.0.1:5432:5432'"
    )


Port = Annotated[
    str,
    BeforeValidator(_port),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 65535},
                {"type": "string", "pattern": _PORT.pattern},
            ]
        }
    ),
]


class ServiceSpec(_Strict):
    """A background service started once before the first step that needs it: a command
    (``start``) or a container (``image``, run with docker or podman)."""

    start: Command | None = Field(
        default=None, description="Command that starts the service (kept running)."
    )
    image: str | None = Field(
        default=None,
        description="Container image to run instead of a command, e.g. postgres:16 "
        "(with docker, else podman; TESTGATE_CONTAINER_RUNTIME picks one).",
    )
    ports: list[Port] = Field(
        default_factory=list,
        description="Container ports to publish: 5432, 'HOST:CONTAINER', or 'IP:HOST:CONTAINER' "
        "(bound to 127.0.0.1 unless an address is given).",
    )
    command: Command | None = Field(
        default=None, description="Arguments after the image (the container's command)."
    )
    options: list[str] = Field(
        default_factory=list,
        description="Extra options for 'docker run' / 'podman run', e.g. [--tmpfs, /data].",
    )
    ready: ReadySpec | None = Field(default=None, description="Readiness probe.")
    stop: Command | None = Field(
        default=None,
        description="Command that stops it; by default its process tree is terminated "
        "(a container is also removed).",
    )
    cwd: str | None = Field(default=None, description="Working directory, relative to config.")
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Extra environment (a container gets these variables, passed by name).",
    )

    @field_validator("env", mode="before")
    @classmethod
    def _env_strings(cls, v: Any) -> Any:
        return _stringify_env(v)

    @field_validator("image")
    @classmethod
    def _image_text(cls, v: str | None) -> str | None:
        if v is not None and (
            not v.strip() or v.strip().startswith("-") or any(c.isspace() for c in v.strip())
        ):
            raise ValueError(
                f"got {describe(v)}; expected an image reference such as postgres:16 or "
                "ghcr.io/org/app:1.2 (no spaces, not an option)"
            )
        return v.strip() if v is not None else None

    @model_validator(mode="after")
    def _start_or_image(self) -> ServiceSpec:
        if (self.start is None) == (self.image is None):
            got = "both 'start' and 'image'" if self.start is not None else "neither"
            raise ValueError(
                f"got {got}; expected exactly one of 'start' (a command) or 'image' (a container)"
            )
        if self.image is None:
            extra = [k for k in ("ports", "command", "options") if getattr(self, k)]
            if extra:
                raise ValueError(
                    f"'{extra[0]}' applies to a container; expected 'image:' beside it, or no "
                    f"'{extra[0]}' for a 'start:' command"
                )
        return self


def _env_text(x: Any) -> Any:
    if x is None:
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, float)):
        return str(x)
    return x


def _stringify_env(v: Any) -> Any:
    if isinstance(v, dict):
        # scalars become the text a shell would see; lists and mappings stay wrong
        return {k: _env_text(x) for k, x in v.items()}
    return v


class StepSpec(_Strict):
    """One command in a stage."""

    name: str = Field(description="Step name, unique within its stage.")
    run: Command = Field(description="A string run by the shell, or an argv list.")
    cwd: str | None = Field(default=None, description="Working directory, relative to config.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    timeout: PositiveDuration | None = Field(
        default=None, description="Kill the step (and its process tree) after this long."
    )
    retries: int = Field(default=0, ge=0, le=10, description="Re-run a failing step this often.")
    when: Expression = Field(
        default=None,
        description="Run only when this expression holds (see docs/expressions.md).",
    )
    reports: list[Annotated[ReportSpec, BeforeValidator(_report)]] = Field(
        default_factory=list,
        description="Reports the step writes: a path or glob, or a mapping with path and format.",
    )
    resources: dict[str, Count] = Field(
        default_factory=dict,
        description="Named resources the step holds while it runs, with counts "
        "(a list of names means one of each).",
    )
    services: list[str] = Field(default_factory=list, description="Services the step needs.")
    matrix: dict[str, list[Scalar]] = Field(
        default_factory=dict,
        description="Expand the step once per combination of values; use a value as "
        "${{ matrix.KEY }} in run, env, cwd and reports.",
    )
    allow_failure: bool = Field(
        default=False, description="A failure of this step does not fail its stage."
    )
    clean_reports: bool = Field(
        default=True,
        description="Delete the files named by reports: before the step runs, so that a report "
        "left by an earlier run can never be read as this run's.",
    )
    paths: list[str] = Field(
        default_factory=list,
        description="Selection: globs of the files the step depends on (relative to the config "
        "file, like GitHub Actions' paths filter); a change to one selects the step. Python "
        "steps also follow their tests' import graph. See docs/selection.md.",
    )
    inputs: list[str] = Field(
        default_factory=list,
        description="Step cache: globs of the files the step's result depends on (default: the "
        "files git tracks under its cwd, plus lockfiles). See docs/selection.md.",
    )
    cache: bool = Field(
        default=True,
        description="Step cache: replay this step's recorded reports when its key (command, "
        "env, inputs, testgate version) matches a green run's; false always runs it. Steps "
        "with services are cached only when they declare inputs:.",
    )
    unskippable: bool = Field(
        default=False,
        description="Selection: always run this step, and all of its tests, whatever changed.",
    )
    every_shard: bool = Field(
        default=False,
        description="Sharding (testgate run --shard I/N): run this step in every shard. Test "
        "steps (pytest, jest, vitest, playwright) and steps using ${{ shard.* }} always do; "
        "any other step runs in shard 1 only unless this is true. See docs/scale-out.md.",
    )
    shard_files: list[str] = Field(
        default_factory=list,
        description="Sharding: globs (relative to the step's cwd) of the test files that "
        "${{ shard.files }} splits between the shards, balanced by their recorded durations.",
    )
    retry_on: list[str] = Field(
        default_factory=list,
        description="Re-run the step once when every one of its failures is of these triage "
        "categories (e.g. [infrastructure]); the retry is recorded and counted as noise, not "
        "flakiness.",
    )

    @field_validator("retry_on", mode="before")
    @classmethod
    def _retry_on_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("env", mode="before")
    @classmethod
    def _env_strings(cls, v: Any) -> Any:
        return _stringify_env(v)

    @field_validator("shard_files", mode="before")
    @classmethod
    def _one_glob(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("resources", mode="before")
    @classmethod
    def _resource_list(cls, v: Any) -> Any:
        # `resources: [database_pool]` means one unit of each
        if isinstance(v, list):
            return dict.fromkeys(v, 1)
        return v


class StageSpec(_Strict):
    """A group of steps; stages form a DAG through ``depends_on``."""

    name: str = Field(description="Stage name, unique in the pipeline.")
    depends_on: list[str] = Field(
        default_factory=list,
        description="Stages that must succeed first; [ALL] means every other stage.",
    )
    parallel: bool = Field(
        default=True, description="Run the stage's steps in parallel (false: one after another)."
    )
    when: Expression = Field(
        default=None,
        description="Run only when this expression holds (see docs/expressions.md).",
    )
    conditional: Expression = Field(
        default=None, description="Another name for 'when', as the seed spells it."
    )
    steps: list[StepSpec] = Field(default_factory=list, description="The stage's steps.")

    @field_validator("depends_on", mode="before")
    @classmethod
    def _one_dep(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _one_condition(self) -> StageSpec:
        if self.when is not None and self.conditional is not None:
            raise ValueError(
                "got both 'when' and 'conditional'; expected only one of them (they are the "
                "same key)"
            )
        return self

    @property
    def condition(self) -> str | None:
        """The stage's ``when`` expression, however it was spelt."""
        return self.when or self.conditional


class PipelineSpec(_Strict):
    """What to run: stages of steps."""

    stages: list[StageSpec] = Field(default_factory=list, description="The stages of the pipeline.")


class HistorySpec(_Strict):
    """Where runs are remembered."""

    url: str | None = Field(
        default=None, description="SQLAlchemy URL of the history store; default SQLite."
    )
    window: int = Field(default=50, ge=2, description="Runs to look back over for flaky/slow.")
    min_runs: int = Field(default=5, ge=1, description="Runs needed before a flaky verdict.")
    default_branch: str | None = Field(
        default=None,
        description="The branch flaky/broken analysis, insights and trends look at unless "
        "--branch or --all-branches says otherwise (default: git's default branch, else "
        "main or master).",
    )


# --------------------------------------------------------------------------------------------
# gates:, deployment_gates:, quarantine:, alerts:, notify:
#
# Typed here so that the whole file validates (and has a JSON Schema) as one; what a gate's
# criteria *mean* (the shorthand, thresholds, metric names) is checked by testgate.gates when
# the configuration is loaded, with the same file:line messages.

#: a threshold as written: ``">= 80%"``, ``"p95 < 200ms"``, ``0`` (see docs/gates.md)
ThresholdText = Annotated[
    str | int | float,
    BeforeValidator(lambda v: _no_bool(v, "a threshold such as '>= 80%' or '< 5'")),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "description": "A threshold: [stat] OPERATOR NUMBER[unit], e.g. '>= 80%', '< 5', "
            "'p95 < 200ms', '100% pass', a plain number, or 'no findings'.",
        }
    ),
]


def _no_bool(value: Any, expected: str) -> Any:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"got {describe(value)}; expected {expected}")
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Globs = Annotated[
    list[str],
    BeforeValidator(_one_or_many),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]


class ScopeSpec(_Strict):
    """The population a criterion measures: tests of these stages, steps or test ids."""

    stages: Globs = Field(
        default_factory=list, description="Stages (names or globs) whose tests count."
    )
    steps: Globs = Field(
        default_factory=list,
        description="Steps ('name', 'stage/name' or globs) whose tests count.",
    )
    tests: Globs = Field(
        default_factory=list,
        description="Globs over test ids (e.g. 'tests/e2e/*') whose tests count.",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> ScopeSpec:
        if not (self.stages or self.steps or self.tests):
            raise ValueError(
                "an empty scope measures nothing; expected at least one of stages, steps or tests"
            )
        return self


class CriterionSpec(_Strict):
    """A criterion in the explicit form: a metric and a threshold (or a trend)."""

    metric: str = Field(description="A metric name (see 'testgate metrics'), e.g. coverage.line.")
    threshold: ThresholdText | None = Field(default=None, description="The bound it must meet.")
    trend: Literal["not_decreasing", "not_increasing"] | None = Field(
        default=None, description="Compared with the baseline run."
    )
    level: Literal["error", "warn"] | None = Field(
        default=None, description="warn: a failure only warns."
    )
    on_missing: Literal["fail", "warn", "skip"] | None = Field(
        default=None,
        description="When no report measured the metric (default: fail for blocking gates).",
    )
    min_effect: ThresholdText | None = Field(
        default=None, description="A change smaller than this (absolute) is noise."
    )
    paths: Globs | None = Field(
        default=None, description="Coverage of these files only (globs, relative to the root)."
    )
    min_changed_lines: int | None = Field(
        default=None, ge=0, description="New-code coverage: skip below this many changed lines."
    )
    scope: ScopeSpec | None = Field(
        default=None, description="Measure only the tests of these stages, steps or test ids."
    )
    description: str | None = Field(default=None, description="Shown in reports.")
    name: str | None = Field(
        default=None, description="Its name, in the list form of criteria (default: the metric)."
    )


def _criterion_kind(value: Any) -> str:
    explicit = isinstance(value, CriterionSpec) or (isinstance(value, dict) and "metric" in value)
    return "explicit" if explicit else "shorthand"


#: a shorthand group (``vulnerability_scan: {critical: 0}``), a threshold, or context (a list)
_Shorthand = dict[str, Any] | list[Any] | str | float | bool

CriterionEntry = Annotated[
    Annotated[CriterionSpec, Tag("explicit")]
    | Annotated[
        _Shorthand,
        Tag("shorthand"),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "object", "not": {"required": ["metric"]}},
                    {"type": ["array", "string", "number", "boolean"]},
                ],
                "description": "The seed's shorthand: a group of named thresholds "
                "(vulnerability_scan: {critical: 0}), a threshold, or a list of names.",
            }
        ),
    ],
    Discriminator(_criterion_kind),
]


class EnforcementSpec(_Strict):
    """Whether a failing gate blocks, and whether it may be bypassed."""

    blocking: bool = Field(default=True, description="A failure fails the verdict (exit 3).")
    bypass_allowed: bool = Field(
        default=False, description="--bypass REASON may pass it; the reason is recorded."
    )


class BaselineComparisonSpec(_Strict):
    """Regressions against the baseline run."""

    threshold: ThresholdText = Field(
        description="Allowed regression: relative with %, absolute without."
    )
    metrics: list[str] = Field(
        default_factory=lambda: ["response_time", "throughput"],
        description="response_time, throughput, latency, or metric names.",
    )
    level: Literal["error", "warn"] | None = Field(default=None, description="warn: only warn.")
    on_missing: Literal["fail", "warn", "skip"] | None = Field(
        default=None, description="When no report measured the metric."
    )
    min_effect: ThresholdText | None = Field(
        default=None, description="A change smaller than this (absolute) is noise."
    )


class GateSpec(_Strict):
    """One quality gate: criteria and how it is enforced."""

    criteria: Annotated[
        Annotated[dict[str, CriterionEntry], Tag("named")]
        | Annotated[list[CriterionSpec], Tag("list")],
        Discriminator(lambda v: "list" if isinstance(v, list) else "named"),
    ] = Field(
        default_factory=dict,
        description="Named criteria (explicit {metric, threshold} or the seed's shorthand), or "
        "a list of explicit ones.",
    )
    enforcement: EnforcementSpec = Field(
        default_factory=EnforcementSpec, description="Blocking and bypass."
    )
    baseline_comparison: BaselineComparisonSpec | None = Field(
        default=None, description="Regressions against the baseline run."
    )
    description: str | None = Field(default=None, description="Shown in reports.")
    reporting: dict[str, Any] | None = Field(
        default=None, description="Accepted as documentation; testgate does not read it."
    )
    validation_matrix: list[Any] | None = Field(
        default=None, description="Accepted as documentation; testgate does not read it."
    )


class DeploymentGateSpec(_Strict):
    """The gates an environment needs (``testgate gate --env NAME``)."""

    required_gates: list[str] = Field(
        description="Configured gates or built-in checks (all_unit_tests_pass, ...)."
    )
    rollback_triggers: list[str | dict[str, Any]] = Field(
        default_factory=list,
        description="Accepted; evaluated after deployment, not at gate time.",
    )


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"got {describe(value)}; expected a date YYYY-MM-DD") from None
    return value


IsoDate = Annotated[
    _dt.date,
    BeforeValidator(_date),
    WithJsonSchema({"type": "string", "format": "date", "description": "YYYY-MM-DD"}),
]


class QuarantineEntrySpec(_Strict):
    """A test whose failures do not fail the run or the gates, until it expires."""

    test: str = Field(description="A test id, or an fnmatch pattern of test ids.")
    owner: str = Field(description="Who fixes it.", min_length=1)
    reason: str = Field(description="Why it is quarantined (an issue link).", min_length=1)
    expires: IsoDate = Field(description="After this date its failures count again.")


def _budget(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"got {describe(value)}; expected a count such as 5 or a share '2%'")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"got {describe(value)}; expected a count >= 0")
        return value
    text = str(value).strip()
    if text.endswith("%"):
        try:
            pct = float(text[:-1])
        except ValueError:
            pct = -1.0
        if 0.0 <= pct <= 100.0:
            return text
    elif text.isdigit():
        return int(text)
    raise ValueError(f"got {describe(value)}; expected a count such as 5 or a share '2%'")


Budget = Annotated[
    int | float | str,
    BeforeValidator(_budget),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"},
            ],
            "description": "At most this many quarantined tests, or this share of all tests.",
        }
    ),
]


def _quarantine_list(value: Any) -> Any:
    return {"tests": value} if isinstance(value, list) else value


class QuarantineSpec(_Strict):
    """Quarantined tests and how many may be."""

    budget: Budget | None = Field(
        default=None,
        description="A gate criterion: at most this many quarantined tests (5) or this share "
        "of the run's tests ('2%').",
    )
    tests: list[QuarantineEntrySpec] = Field(
        default_factory=list, description="The quarantined tests."
    )


_SEVERITY = Literal["critical", "high", "medium", "low", "info"]


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _condition(value: Any) -> Any:
    from testgate.config.expr import ExpressionError, parse_metric_condition

    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"got {describe(value)}; expected a condition such as 'coverage < previous - 5%'"
        )
    try:
        parse_metric_condition(value)
    except ExpressionError as exc:
        raise ValueError(
            f"cannot parse the condition: {exc.short} (in {value!r}); see docs/history.md"
        ) from None
    return value


class AlertSpec(_Strict):
    """An alert evaluated after each recorded run against the previous run on its branch."""

    name: str = Field(description="Its name, e.g. coverage_drop.", min_length=1)
    condition: Annotated[str, BeforeValidator(_condition)] = Field(
        description="A comparison over metrics, e.g. 'coverage < previous - 5%'."
    )
    severity: Annotated[_SEVERITY, BeforeValidator(_lower)] = Field(
        default="medium", description="critical, high, medium, low or info."
    )
    message: str | None = Field(default=None, description="Shown instead of the condition.")


def _http_url(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value
    raise ValueError(f"got {describe(value)}; expected an http:// or https:// URL")


class WebhookSpec(_Strict):
    """A webhook that receives fired alerts as Slack-compatible JSON."""

    url: Annotated[
        str,
        BeforeValidator(_http_url),
        WithJsonSchema({"type": "string", "pattern": "^https?://"}),
    ] = Field(description="Where to POST.")
    min_severity: Annotated[_SEVERITY, BeforeValidator(_lower)] = Field(
        default="info", description="Send alerts at or above this severity."
    )
    timeout: Duration = Field(default=5.0, description="Per attempt.")
    retries: int = Field(default=2, ge=0, le=10, description="After the first attempt.")
    backoff: Duration = Field(default=0.5, description="Doubled after each failed attempt.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers.")


def _webhook(value: Any) -> Any:
    return {"url": value} if isinstance(value, str) else value


class NotifySpec(_Strict):
    """Where fired alerts go."""

    webhooks: list[Annotated[WebhookSpec, BeforeValidator(_webhook)]] = Field(
        default_factory=list, description="Webhooks: a URL, or a mapping with url and options."
    )
    dashboard_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="Where 'testgate serve' is reached (https://...): webhook messages link to "
        "the run's page and the dashboard. TESTGATE_DASHBOARD_URL overrides it.",
    )


class SelectionSpec(_Strict):
    """Smart test selection (``testgate select``, ``testgate run --affected``)."""

    always_run_on: list[str] = Field(
        default_factory=list,
        description="Globs (relative to the config file) whose change forces a full run, besides "
        "the built-in ones (testgate.yaml, lockfiles, pyproject.toml, setup.cfg, CI files, "
        "conftest.py).",
    )
    ignore: list[str] = Field(
        default_factory=lambda: ["*.md", "**/*.md", "*.rst", "**/*.rst", "docs/**", "LICENSE*"],
        description="Globs of files whose change selects nothing (documentation).",
    )
    unskippable: list[str] = Field(
        default_factory=list,
        description="Test ids or pytest node ids (globs allowed) that always run.",
    )
    full_run_every: int = Field(
        default=20,
        ge=0,
        description="Run everything when this many runs were recorded since the last full run "
        "(0: never for this reason).",
    )
    full_run_on_default_branch: bool = Field(
        default=True, description="Run everything on the default branch."
    )
    default_branch: str | None = Field(
        default=None,
        description="The default branch (default: origin/HEAD's branch, else main or master).",
    )
    fixtures: Literal["shared", "per-test"] = Field(
        default="shared",
        description="How to treat code a test ran while its fixtures were set up or torn down: "
        "'shared' (a module- or session-scoped fixture may serve other tests: a change to it "
        "runs every test of the step) or 'per-test' (only the tests that ran it).",
    )


class CacheSpec(_Strict):
    """The content-addressed cache of unchanged steps."""

    enabled: bool = Field(
        default=False,
        description="Replay steps whose key matches a green run. Off by default: an input a "
        "step does not declare (an environment variable, a service, the network) would replay a "
        "stale green result, and a verdict must never be greener than the truth; turn it on "
        "(cache: true) where steps declare their inputs.",
    )
    dir: str | None = Field(
        default=None,
        description="Cache directory, relative to the config file; a shared directory for a "
        "team (default: .testgate/cache).",
    )
    url: str | None = Field(
        default=None,
        description="Keep the cache in a database instead (a PostgreSQL or SQLite URL; "
        "'history' means the history store).",
    )


def _cache_flag(value: Any) -> Any:
    return {"enabled": value} if isinstance(value, bool) else value


def _pattern(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError(f"got {describe(value)}; expected a regular expression")
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc} (in {value!r})") from None
    if compiled.match(""):
        raise ValueError(f"{value!r} matches the empty text: it would mask nothing, or everything")
    return value


def _env_names(value: Any) -> Any:
    return {"env": value} if isinstance(value, list) else value


class SecretsSpec(_Strict):
    """Secrets masked (as ***) in step output and report text before testgate writes anything
    (docs/secrets.md)."""

    env: list[str] = Field(
        default_factory=list,
        description="More environment variables whose values are secrets (names or fnmatch "
        "patterns such as 'SENTRY_*'), besides those whose names look secret (*TOKEN*, "
        "*SECRET*, *PASSWORD*, *_KEY, ...).",
    )
    exclude_env: list[str] = Field(
        default_factory=list,
        description="Environment variables whose names look secret but whose values are not "
        "(names or fnmatch patterns, e.g. SORT_KEY): their values are shown.",
    )
    patterns: list[Annotated[str, BeforeValidator(_pattern)]] = Field(
        default_factory=list,
        description="Regular expressions (Python syntax) of secrets of your own, e.g. "
        "'acme_[0-9a-f]{32}'; every match is masked whole (use lookarounds to keep context).",
    )
    shapes: bool = Field(
        default=True,
        description="Mask well-known token shapes: GitHub, GitLab, AWS access key ids, Slack, "
        "JWTs, bearer tokens, private key blocks, passwords in URLs, ...",
    )

    def masker(self, envs: Iterable[Mapping[str, str]]) -> Masker:
        """The run's :class:`~testgate.masking.Masker` over the environments *envs*."""
        from testgate.masking import Masker

        return Masker.build(
            envs,
            names=self.env,
            exclude=self.exclude_env,
            patterns=self.patterns,
            shapes=self.shapes,
        )


class TriageSpec(_Strict):
    """How failures are triaged (see docs/triage.md)."""

    categories: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Your own failure categories, checked before the built-in ones (first match "
        "wins): name plus message and/or trace regexes; Allure's categories.json keys work too.",
    )
    digest: bool = Field(
        default=True,
        description="Write .testgate/latest/failures.md (the failure digest) after every red run.",
    )


class Config(_Strict):
    """The whole ``testgate.yaml``."""

    version: Literal[1] = Field(default=1, description="Configuration format version.")
    project: str | None = Field(default=None, description="Project name shown in reports.")
    pipeline: PipelineSpec = Field(default_factory=PipelineSpec, description="What to run.")
    resources: dict[str, Count] = Field(
        default_factory=dict,
        description="Named counted semaphores with their capacity, e.g. database_pool: 2.",
    )
    services: dict[str, ServiceSpec] = Field(
        default_factory=dict, description="Background services steps can need."
    )
    gates: dict[str, GateSpec] = Field(default_factory=dict, description="Quality gates.")
    deployment_gates: dict[str, DeploymentGateSpec] = Field(
        default_factory=dict, description="Gate sets per deployment environment."
    )
    alerts: list[AlertSpec] = Field(
        default_factory=list, description="Alerts evaluated after each recorded run."
    )
    quarantine: Annotated[QuarantineSpec, BeforeValidator(_quarantine_list)] = Field(
        default_factory=QuarantineSpec,
        description="Tests whose failures fail neither the run nor the gates (a list, or "
        "{budget, tests}).",
    )
    history: HistorySpec = Field(default_factory=HistorySpec, description="The history store.")
    selection: SelectionSpec = Field(
        default_factory=SelectionSpec, description="Smart test selection (docs/selection.md)."
    )
    cache: Annotated[CacheSpec, BeforeValidator(_cache_flag)] = Field(
        default_factory=CacheSpec,
        description="The step cache (docs/selection.md); false turns it off.",
    )
    executor: str | None = Field(
        default=None,
        description="Where steps run: local (default), dask-local:N (a Dask cluster of N "
        "workers on this machine) or tcp://HOST:PORT (a running Dask scheduler); "
        "testgate run --executor wins. See docs/scale-out.md.",
    )
    allow_outside_reports: bool = Field(
        default=False,
        description="Read reports: that lie outside the configuration's folder (a '..' path, "
        "an absolute path elsewhere, a symlink leading out). Off by default: a step's report "
        "is refused by name when it is not under the repository.",
    )
    notify: NotifySpec = Field(default_factory=NotifySpec, description="Webhooks for alerts.")
    secrets: Annotated[SecretsSpec, BeforeValidator(_env_names)] = Field(
        default_factory=SecretsSpec,
        description="Secrets masked as *** in step output and reports (docs/secrets.md); a "
        "list is short for {env: [...]}.",
    )
    triage: TriageSpec = Field(
        default_factory=TriageSpec, description="Failure categories and the failure digest."
    )
    escalation: dict[str, Any] = Field(
        default_factory=dict,
        description="The escalation matrix (seed form): severity, owner and SLA per failure "
        "type, webhooks, block_deployment.",
    )

    def section(self, name: str) -> Any:
        """The section *name* as plain data, as written (for readers of raw mappings)."""
        value = getattr(self, name)
        if isinstance(value, BaseModel):
            return value.model_dump(exclude_unset=True, mode="python")
        if isinstance(value, dict):
            return {
                k: v.model_dump(exclude_unset=True) if isinstance(v, BaseModel) else v
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                v.model_dump(exclude_unset=True) if isinstance(v, BaseModel) else v for v in value
            ]
        return value
