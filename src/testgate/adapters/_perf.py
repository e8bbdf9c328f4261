"""What every performance adapter shares: scenario names, metric names, JSON and CSV loading.

Performance adapters turn a load-test or benchmark report into flat ``perf.<scenario>.<stat>``
metrics (DESIGN.md): ``p50_ms``, ``p95_ms``, ``p99_ms``, ``avg_ms``, ``rps`` and ``error_rate``
(percent, 0-100), plus the raw figures the report also holds (``min_ms``, ``max_ms``,
``p90_ms``, ``requests``, ...). A figure the report does not contain is absent, never 0.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from testgate.errors import InputError

__all__ = [
    "ALL",
    "MAX_TOKEN",
    "ScenarioNames",
    "as_number",
    "csv_problem",
    "iter_csv",
    "load_json",
    "percentile_key",
    "put",
    "sanitize",
    "to_ms",
]

#: milliseconds per unit of time, spelt as the tools spell them
_MS_PER = {
    "ns": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "μs": 1e-3,
    "ms": 1.0,
    "s": 1e3,
    "m": 60e3,
    "min": 60e3,
    "h": 3600e3,
}

#: the scenario name of a report's global figures (``perf.all.p95_ms``)
ALL = "all"

#: longest scenario token
MAX_TOKEN = 64

_UNSAFE = re.compile(r"[^a-z0-9_]+")


def sanitize(name: str) -> str:
    """A metric-safe token: lowercase ``[a-z0-9_]``, every other run of characters -> ``_``.

    Leading and trailing underscores are dropped so ``GET /api/users`` reads ``get_api_users``;
    a name with nothing left becomes ``unnamed``. Tokens are cut to :data:`MAX_TOKEN` characters
    (JMeter labels can be whole error messages); :class:`ScenarioNames` keeps cut names apart.
    """
    token = _UNSAFE.sub("_", name.strip().lower()).strip("_")[:MAX_TOKEN].rstrip("_")
    return token or "unnamed"


class ScenarioNames:
    """Maps a report's raw scenario names to unique metric-safe tokens.

    Two raw names that sanitise alike (``/a-b`` and ``/a_b``) must not overwrite each other's
    metrics, so the second gets ``_2``, the third ``_3``; the report's own global figures own
    ``all``, so a scenario literally named "all" becomes ``all_2``.
    """

    def __init__(self) -> None:
        self._by_raw: dict[str, str] = {}
        self._taken: set[str] = {ALL}

    def __call__(self, raw: str) -> str:
        token = self._by_raw.get(raw)
        if token is None:
            base = sanitize(raw)
            token, n = base, 1
            while token in self._taken:
                n += 1
                token = f"{base}_{n}"
            self._taken.add(token)
            self._by_raw[raw] = token
        return token


def put(metrics: dict[str, float], scenario: str, stat: str, value: object) -> None:
    """Set ``perf.<scenario>.<stat>`` when *value* is a finite number; otherwise leave it absent."""
    number = as_number(value)
    if number is not None:
        metrics[f"perf.{scenario}.{stat}"] = number


def as_number(value: object) -> float | None:
    """*value* as a finite float, or None for missing, ``"N/A"``, NaN, booleans and text."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def to_ms(value: object, unit: str) -> float | None:
    """*value* in *unit* (``ns``, ``us``, ``ms``, ``s``, ``m``, ``h``) as milliseconds, or None."""
    number = as_number(value)
    factor = _MS_PER.get(unit.strip())
    if number is None or factor is None:
        return None
    return number * factor


def percentile_key(p: str) -> str:
    """The stat name of a percentile: ``"95"`` -> ``p95_ms``, ``"99.9"`` -> ``p99_9_ms``."""
    text = p.strip().rstrip("%")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"p{text.replace('.', '_')}_ms"


def load_json(path: Path, what: str) -> Any:
    """Parse *path* as JSON; an empty, truncated, invalid or mis-encoded file is an InputError.

    *what* names the expected format in messages (``"k6 summary"``).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}:{line}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}); "
            f"a {what} is UTF-8 JSON",
            slug="malformed-report",
        ) from None
    if not text.strip():
        raise InputError(f"{path}:1: report is empty (expected a {what})", slug="empty-report")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # an error on the file's last line is what a cut-short file looks like
        hint = " (truncated?)" if "\n" not in text[exc.pos :].rstrip() else ""
        raise InputError(
            f"{path}:{exc.lineno}: not valid JSON{hint}: {exc.msg} at column {exc.colno} "
            f"(expected a {what})",
            slug="malformed-report",
        ) from None
    except RecursionError:
        raise InputError(
            f"{path}: JSON nested too deeply to be a {what}", slug="malformed-report"
        ) from None


def csv_problem(path: Path, line: int, exc: Exception, what: str) -> InputError:
    """One readable error for a CSV file the csv module or the decoder refused."""
    if isinstance(exc, UnicodeDecodeError):
        return InputError(
            f"{path}:{line}: not UTF-8 text ({exc.reason}); a {what} is UTF-8 CSV",
            slug="malformed-report",
        )
    return InputError(
        f"{path}:{line}: malformed CSV ({exc}); expected a {what}", slug="malformed-report"
    )


def iter_csv(path: Path, what: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, fields)`` for every non-blank record of a CSV file, streamed.

    *line* is the physical line the record ends on (a quoted field may span lines). A file
    with no record at all is an "empty report" error; bad quoting, NUL bytes and undecodable
    bytes are errors naming the line.
    """
    line = 0
    seen = False
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            for row in reader:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank lines (a CRLF -> LF artefact some tools leave)
                seen = True
                yield line, row
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise csv_problem(path, line + 1, exc, what) from None
    if not seen:
        raise InputError(f"{path}:1: report is empty (expected a {what})", slug="empty-report")
