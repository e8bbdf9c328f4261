"""The adapter contract, the registry and detection of a report's format by its content."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from testgate.errors import InputError
from testgate.masking import Masker
from testgate.model import ReportData, ReportRef, cap_fields

__all__ = [
    "HEAD_BYTES",
    "KINDS",
    "Adapter",
    "AdapterRegistry",
    "ReadContext",
    "default_registry",
    "environment_masker",
    "guess_format",
    "mask_report",
    "read_head",
    "read_report",
    "set_default_registry",
]

#: How much of a file detection looks at.
HEAD_BYTES = 64 * 1024

KINDS: tuple[str, ...] = (
    "tests",
    "coverage",
    "perf",
    "security",
    "lint",
    "complexity",
    "duplication",
    "mutation",
    "docs",
)


@dataclass(slots=True)
class ReadContext:
    """What an adapter may need besides the file: where the repository root is, which step."""

    #: repository root; coverage paths are made relative to it
    root: Path = field(default_factory=Path.cwd)
    #: the pipeline step that produced the report, if any
    step: str | None = None
    #: that step's command, which names the format when the content cannot (``ruff ... -o x``)
    command: str | None = None
    #: masks secrets in the report's text (messages, traces, properties, findings); None: the
    #: secrets of this process's environment and the well-known token shapes
    masker: Masker | None = None


@runtime_checkable
class Adapter(Protocol):
    """A reader of one report format.

    ``name`` is the format name users pass to ``--format``; ``kind`` is one of :data:`KINDS`.
    ``sniff`` returns a confidence from 0 (not mine) to 100 (certainly mine) judged from the
    first :data:`HEAD_BYTES` of the file, decoded; ``read`` returns what the report holds, or
    raises :class:`~testgate.errors.InputError` naming the file and line.
    """

    name: str
    kind: str
    description: str

    def sniff(self, head: str, path: Path) -> int: ...

    def read(self, path: Path, ctx: ReadContext) -> ReportData: ...


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first *size* bytes of *path* as text, honouring a UTF-8/UTF-16 byte-order mark."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(size)
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a report file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc.strerror})") from exc
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            return raw.decode(enc, errors="replace")
    return raw.decode("utf-8", errors="replace")


class AdapterRegistry:
    """All known adapters by format name."""

    def __init__(self) -> None:
        self._adapters: dict[str, Adapter] = {}

    def register(self, adapter: Adapter) -> None:
        if adapter.kind not in KINDS:
            raise ValueError(f"adapter {adapter.name!r}: kind {adapter.kind!r} not in {KINDS}")
        self._adapters[adapter.name] = adapter

    def names(self) -> list[str]:
        return sorted(self._adapters)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._adapters.values())

    def __len__(self) -> int:
        return len(self._adapters)

    def get(self, name: str) -> Adapter:
        try:
            return self._adapters[name]
        except KeyError:
            raise InputError(
                f"unknown report format {name!r}; supported formats: {', '.join(self.names())}",
                slug="unknown-format",
            ) from None

    def detect(self, path: Path, command: str | None = None) -> Adapter:
        """The adapter most confident that *path* is its format, judged by content.

        When the content cannot tell (``[]`` is a clean report of ruff and of ESLint alike:
        an empty JSON list or object), the file's name or the *command* that wrote it names the
        format (:func:`guess_format`).
        """
        head = read_head(path)
        if not head.strip():
            raise InputError(f"{path}:1: report is empty", slug="empty-report")
        if head.lstrip("\ufeff \t\r\n").startswith("<"):
            # hostile XML is refused as such, whatever its root element claims to be
            from testgate.adapters._xml import check_prolog

            check_prolog(path, head)
        best: tuple[int, str] | None = None
        for adapter in self._adapters.values():
            score = adapter.sniff(head, path)
            if score > 0 and (best is None or score > best[0]):
                best = (score, adapter.name)
        if best is None and _EMPTY_JSON.fullmatch(head):
            # a clean report: any linter's or scanner's, so the content cannot tell whose
            guessed = guess_format(path, command, self.names())
            if guessed is not None:
                return self._adapters[guessed]
        if best is None:
            raise InputError(
                f"{path}: cannot tell which report format this is; pass --format with one of: "
                f"{', '.join(self.names())}",
                slug="unknown-format",
            )
        return self._adapters[best[1]]


#: a report with nothing in it, whoever wrote it
_EMPTY_JSON = re.compile(r"\ufeff?\s*(?:\[\s*\]|\{\s*\})\s*")

#: names in a file name or a command that mean a format, besides the format's own name
_FORMAT_WORDS: dict[str, tuple[str, ...]] = {
    "junit": ("junit", "junitxml", "surefire", "xunit2"),
    "cobertura": ("cobertura", "coverage.xml"),
    "coveragepy-json": ("coverage.json",),
    "lcov": ("lcov", ".info"),
    "gocover": ("coverprofile", "cover.out"),
    "jmeter": (".jtl",),
    "sarif": (".sarif",),
    "trx": (".trx",),
    "tap": (".tap",),
    "detect-secrets": (".secrets.baseline",),
    "npm-audit": ("npm audit", "npm-audit"),
    "pytest-benchmark": ("benchmark-json",),
    "gotest": ("go test -json", "gotestsum"),
    "radon-cc": ("radon cc",),
    "radon-mi": ("radon mi",),
    "mutmut-stats": ("mutmut",),
}


def _words(fmt: str) -> tuple[str, ...]:
    return (fmt, *_FORMAT_WORDS.get(fmt, ()))


def _named(text: str, word: str) -> bool:
    """*word* in *text* on its own (``ruff`` in ``ruff-report.json``, not in ``gruffalo``)."""
    if word.startswith("."):
        return text.endswith(word)
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


def guess_format(path: Path, command: str | None, names: list[str]) -> str | None:
    """The format that the report's file name, else its step's command, names, if exactly
    one does: for content that could be any of several formats (an empty list, an empty run).
    """
    name = path.name.lower()
    by_name = {f for f in names if any(_named(name, w) for w in _words(f))}
    if len(by_name) == 1:
        return by_name.pop()
    if command:
        text = command.lower()
        by_command = {f for f in names if any(_named(text, w) for w in _words(f))}
        if len(by_command) > 1 and str(path.name).lower() in text:
            # several tools in one command: the one named closest before the report's path
            at = text.index(path.name.lower())
            before = {f: max(text.rfind(w, 0, at) for w in _words(f)) for f in by_command}
            nearest = max(before.values())
            by_command = {f for f, pos in before.items() if pos == nearest and pos >= 0}
        if len(by_command) == 1:
            return by_command.pop()
    return None


_DEFAULT: AdapterRegistry | None = None
_FILL: Callable[[], AdapterRegistry] | None = None


def set_default_registry(fill: Callable[[], AdapterRegistry]) -> None:
    """Install how the default registry is filled (called by :mod:`testgate.plugins`, which
    fills it on first use, so that a command that reads no report imports no reader)."""
    global _DEFAULT, _FILL
    _DEFAULT, _FILL = None, fill


def default_registry() -> AdapterRegistry:
    """The registry every plugin (built-ins and entry points) filled.

    This module is a leaf: it never builds the plugin manager. Commands, the workflow and
    :mod:`testgate.api` build it (``testgate.plugins.get_plugins()``) first.
    """
    global _DEFAULT
    if _DEFAULT is None:
        if _FILL is None:
            raise RuntimeError(
                "report adapters are not registered yet: build "
                "the plugin manager first (testgate.plugins.get_plugins())"
            )
        _DEFAULT = _FILL()
    return _DEFAULT


def read_report(
    path: str | Path,
    *,
    format: str | None = None,
    ctx: ReadContext | None = None,
    registry: AdapterRegistry | None = None,
) -> tuple[ReportData, ReportRef]:
    """Read one report into a :class:`ReportData`, detecting its format unless *format* is given."""
    p = Path(path)
    reg = registry or default_registry()
    ctx = ctx or ReadContext()
    adapter = reg.get(format) if format else reg.detect(p, ctx.command)
    if format and not p.exists():
        raise InputError(f"{p}: no such report file", slug="missing-file")
    data = adapter.read(p, ctx)
    # secrets masked before anything is cut: a cut through a secret would leave a piece the
    # masker no longer recognises
    mask_report(data, ctx.masker if ctx.masker is not None else environment_masker())
    # names, ids, paths and properties bounded as messages and traces are (each cut says so)
    cap_fields(data.tests, data.findings)
    return data, ReportRef(path=str(p), format=adapter.name, kind=adapter.kind, step=ctx.step)


_ENV_MASKER: tuple[frozenset[tuple[str, str]], Masker] | None = None


def environment_masker() -> Masker:
    """The masker of this process's environment (its secret-looking variables) and the token
    shapes, for reports read outside a configured run; rebuilt when those variables change."""
    import os

    from testgate.masking import looks_secret

    global _ENV_MASKER
    key = frozenset((k, v) for k, v in os.environ.items() if looks_secret(k))
    if _ENV_MASKER is None or _ENV_MASKER[0] != key:
        _ENV_MASKER = (key, Masker.build([dict(key)]))
    return _ENV_MASKER[1]


def mask_report(data: ReportData, masker: Masker) -> None:
    """Mask, in place, the secrets in the free text of *data*: tests' messages, traces,
    teardown errors and property values, and findings' messages.

    Only non-empty fields are looked at, so a report of passing tests costs next to nothing.
    Test names are left alone: they are the tests' identities across runs.
    """
    if not masker.active:
        return
    mask = masker.mask
    for t in data.tests:
        if t.message:
            t.message = mask(t.message)
        if t.trace:
            t.trace = mask(t.trace)
        if t.teardown_error:
            t.teardown_error = mask(t.teardown_error)
        if t.properties:
            t.properties = {k: mask(v) if v else v for k, v in t.properties.items()}
    for f in data.findings:
        if f.message:
            f.message = mask(f.message)
