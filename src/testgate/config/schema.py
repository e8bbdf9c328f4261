"""The schema of ``testgate.yaml``, in pydantic. Every option is declared once, with its help.

The pipeline follows the seed's shape: ``pipeline.stages[]`` with ``name``, ``depends_on``,
``parallel``, ``when`` (the seed's ``conditional`` is accepted as an alias) and ``steps[]``.
Sections owned by later boxes (gates, history, alerts, quarantine) are declared here so that
one file validates as a whole; their inner shape is checked by the box that reads them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "CacheSpec",
    "Config",
    "Duration",
    "HistorySpec",
    "PipelineSpec",
    "ReadySpec",
    "ReportSpec",
    "SelectionSpec",
    "ServiceSpec",
    "StageSpec",
    "StepSpec",
    "TriageSpec",
    "describe",
    "parse_duration",
    "yaml_type",
]

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


Duration = Annotated[float, BeforeValidator(parse_duration)]
PositiveDuration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]


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


Command = Annotated[str | list[str], BeforeValidator(_command)]


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


Expression = Annotated[str | None, BeforeValidator(_expression)]


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


Port = Annotated[str, BeforeValidator(_port)]


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

    enabled: bool = Field(default=True, description="Replay steps whose key matches a green run.")
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
    gates: dict[str, Any] = Field(default_factory=dict, description="Quality gates.")
    deployment_gates: dict[str, Any] = Field(
        default_factory=dict, description="Gate sets per deployment environment."
    )
    alerts: list[dict[str, Any]] = Field(
        default_factory=list, description="Alerts evaluated after each recorded run."
    )
    quarantine: list[dict[str, Any]] = Field(
        default_factory=list, description="Tests whose failures do not block."
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
    notify: dict[str, Any] = Field(default_factory=dict, description="Webhooks for alerts.")
    triage: TriageSpec = Field(
        default_factory=TriageSpec, description="Failure categories and the failure digest."
    )
    escalation: dict[str, Any] = Field(
        default_factory=dict,
        description="The escalation matrix (seed form): severity, owner and SLA per failure "
        "type, webhooks, block_deployment.",
    )
