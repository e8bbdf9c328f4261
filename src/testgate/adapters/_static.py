"""Shared pieces of the security and code-quality adapters.

Bounded JSON loading with errors that name the file and line, content sniffing helpers,
repository-relative path normalisation, severity vocabularies and the per-report counts that
:func:`testgate.model.derive_metrics` recomputes over a whole run (so both always agree).
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from testgate.adapters._paths import normalize_path
from testgate.errors import InputError
from testgate.model import Finding

__all__ = [
    "MAX_JSON_BYTES",
    "UNRATED",
    "JsonAdapter",
    "as_int",
    "cvss_severity",
    "decode_text",
    "has_keys",
    "json_start",
    "lint_counts",
    "load_json",
    "obj",
    "read_bounded",
    "rel_path",
    "secret_counts",
    "security_counts",
    "word_severity",
]

#: Reports larger than this are refused: json.load holds the whole document in memory.
MAX_JSON_BYTES = 512 * 1024 * 1024


def decode_text(path: Path, raw: bytes) -> str:
    """Decode report bytes: a UTF-8 or UTF-16 byte-order mark wins, otherwise strict UTF-8."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                raise InputError(
                    f"{path}:{line}: not valid {enc.upper()} text ({exc.reason})",
                    slug="malformed-report",
                ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}:{line}: not valid UTF-8 text (byte 0x{raw[exc.start]:02x}); "
            "save the report as UTF-8",
            slug="malformed-report",
        ) from None


def read_bounded(path: Path, limit: int = MAX_JSON_BYTES) -> bytes:
    """The bytes of *path*, refusing files over *limit* before reading them."""
    try:
        size = os.stat(path).st_size
        if size > limit:
            raise InputError(
                f"{path}: report is {size / 2**20:.0f} MiB, more than testgate reads "
                f"({limit // 2**20} MiB); split the scan or filter the report",
                slug="report-too-large",
            )
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file", slug="missing-file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a report file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc.strerror})") from exc


_PREAMBLE_START = re.compile(r"^[ \t]*[\[{]", re.MULTILINE)


def load_json(path: Path, *, skip_preamble: bool = False, limit: int = MAX_JSON_BYTES) -> Any:
    """Parse *path* as JSON; any problem is one :class:`InputError` naming file and line.

    With *skip_preamble*, lines before the first line that opens an array or object are
    ignored: wrapper scripts sometimes print a banner before the tool's JSON.
    """
    text = decode_text(path, read_bounded(path, limit))
    if not text.strip():
        raise InputError(f"{path}:1: report is empty", slug="empty-report")
    offset_lines = 0
    if skip_preamble and text.lstrip()[:1] not in ("[", "{"):
        m = _PREAMBLE_START.search(text)
        if m is not None:
            offset_lines = text.count("\n", 0, m.start())
            text = text[m.start() :]
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        line = exc.lineno + offset_lines
        ended = exc.pos >= len(text.rstrip()) or (
            exc.msg.startswith("Unterminated string") and '"' not in text[exc.pos + 1 :]
        )
        what = "truncated JSON" if ended else "not valid JSON"
        raise InputError(
            f"{path}:{line}: {what} ({exc.msg} at column {exc.colno})",
            slug="malformed-report",
        ) from None
    except RecursionError:
        raise InputError(
            f"{path}: JSON nested too deeply to be a report", slug="malformed-report"
        ) from None


def json_start(head: str) -> str:
    """The first significant character of a JSON document ('{', '[', 'n' for null, or '')."""
    s = head.lstrip("\ufeff \t\r\n")
    return s[:1]


def has_keys(head: str, *keys: str) -> bool:
    """Whether every ``"key"`` appears, as a JSON object key, in *head*."""
    return all(re.search(r'"' + re.escape(k) + r'"\s*:', head) for k in keys)


_DRIVE = re.compile(r"^/?([A-Za-z]):/")


def rel_path(raw: object, root: Path, *, uri: bool = False) -> str | None:
    """*raw* as a repository-relative path with forward slashes.

    ``file://`` URIs and percent-encoding (when *uri*) are decoded, Windows separators turned
    into ``/``, and an absolute path under *root* made relative to it. An absolute path outside
    *root* (a CI agent's checkout: ``/home/runner/work/app/app/src/x.py``, ``D:\\a\\...``,
    ``/builds/...``, a Jenkins workspace) follows the rules coverage paths follow
    (:mod:`testgate.adapters._paths`): the longest suffix that names a file under *root*, else
    the path without the CI system's checkout prefix, else the path as written.
    """
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    if text.lower().startswith("file:"):
        parts = urlsplit(text)
        text = unquote(parts.path)
        if parts.netloc and parts.netloc.lower() != "localhost":
            text = f"//{parts.netloc}{text}"  # a UNC host
        else:
            text = re.sub(r"^/{2,}", "/", text)  # file:////src/x is /src/x
    elif uri:
        text = unquote(text)
    text = text.replace("\\", "/")
    m = _DRIVE.match(text)
    if m:
        text = f"{m.group(1).upper()}:/{text[m.end() :]}"
    if text.startswith("/") or m:
        # memoised per absolute root: a relative root means the current directory of now
        absolute = root.is_absolute() or _DRIVE.match(root.as_posix())
        for base in _roots(root if absolute else root.absolute()):
            if text == base:
                return "."
            if text.startswith(base + "/"):
                text = text[len(base) + 1 :]
                break
        else:
            if text.startswith("//"):
                return text  # a UNC share: no checkout of ours
            return normalize_path(posixpath.normpath(text), root, tails=False)
    norm = posixpath.normpath(text)
    return norm


@functools.lru_cache(maxsize=64)
def _roots(root: Path) -> tuple[str, ...]:
    """*root* as written and resolved (symlinks), in the forms paths are compared with."""
    out: list[str] = []
    for p in (root, root.resolve()):
        s = p.as_posix().rstrip("/")
        m = _DRIVE.match(s)
        if m:
            s = f"{m.group(1).upper()}:/{s[m.end() :]}"
        if s not in out:
            out.append(s)
    return tuple(out)


def obj(value: object) -> dict[str, Any]:
    """*value* if it is a JSON object, else an empty one (reports leave parts out)."""
    return value if isinstance(value, dict) else {}


def as_int(value: object) -> int | None:
    """A line number: positive int, else None (SARIF and friends use 0 or -1 for 'unknown')."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        n = int(value)
        return n if n > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        n = int(value.strip())
        return n if n > 0 else None
    return None


def cvss_severity(score: object) -> str | None:
    """A CVSS base score as a severity (the CVSS v3 qualitative scale; 0 is info)."""
    try:
        s = float(score)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if s != s or s < 0 or s > 10:  # NaN or out of range
        return None
    if s >= 9.0:
        return "critical"
    if s >= 7.0:
        return "high"
    if s >= 4.0:
        return "medium"
    if s > 0.0:
        return "low"
    return "info"


_WORDS = {
    "critical": "critical",
    "blocker": "critical",
    "high": "high",
    "error": "high",
    "major": "high",
    "medium": "medium",
    "moderate": "medium",
    "warning": "medium",
    "low": "low",
    "minor": "low",
    "note": "low",
    "negligible": "info",
    "info": "info",
    "informational": "info",
    "information": "info",
    "none": "info",
}

#: A known vulnerability its producer did not rate (pip-audit, trivy UNKNOWN) counts as high:
#: a ``security.high == 0`` gate must not pass on an advisory nobody scored.
UNRATED = "high"


def word_severity(word: object, default: str | None = None) -> str | None:
    """A producer's severity word (CRITICAL, moderate, Warning...) as one of SEVERITIES."""
    if not isinstance(word, str):
        return default
    return _WORDS.get(word.strip().lower(), default)


def security_counts(findings: Iterable[Finding]) -> dict[str, float]:
    """``security.<severity>`` over the vulnerability findings, zeros included."""
    counts = dict.fromkeys(("critical", "high", "medium", "low"), 0)
    for f in findings:
        if f.category == "vulnerability" and f.severity in counts:
            counts[f.severity] += 1
    return {f"security.{k}": float(v) for k, v in counts.items()}


def secret_counts(findings: Iterable[Finding]) -> dict[str, float]:
    return {"secrets.count": float(sum(1 for f in findings if f.category == "secret"))}


def lint_counts(findings: Iterable[Finding]) -> dict[str, float]:
    """``lint.errors`` (severity critical or high) and ``lint.warnings`` (medium or low)."""
    errors = warnings = 0
    for f in findings:
        if f.category != "lint":
            continue
        if f.severity in ("critical", "high"):
            errors += 1
        elif f.severity in ("medium", "low"):
            warnings += 1
    return {"lint.errors": float(errors), "lint.warnings": float(warnings)}


class JsonAdapter:
    """Base of the JSON adapters: name, kind and description as class attributes."""

    name: str = ""
    kind: str = "security"
    description: str = ""

    def __repr__(self) -> str:
        return f"<adapter {self.name}>"

    @staticmethod
    def shape_error(path: Path, what: str) -> InputError:
        return InputError(f"{path}: {what}", slug="malformed-report")
