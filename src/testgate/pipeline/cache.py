"""The content-addressed step cache: a step whose inputs did not change is not run again.

A step's **key** is the SHA-256 of

- the cache format and testgate's version,
- its command (after matrix substitution), its directory and its declared reports,
- its ``env:`` (the variables the configuration sets; the rest of the environment is not
  part of the key),
- the content of its **inputs**: the files matching its ``inputs:`` globs, or by default every
  file git tracks (or would track: untracked, not ignored) under its directory, plus the
  lockfiles at the repository root; the step's own declared reports are never inputs.

When a green run of the step with the same key is in the cache, the step is not run: its
recorded report files are replayed into this run (from ``.testgate/runs/<id>/cached/``) and the
step is marked ``cached`` in the summary, the console and the HTML report. Steps that failed,
steps with ``cache: false``, steps narrowed by selection, and steps that need services (unless
they declare ``inputs:``) are never cached. Anything else the step depends on (a service, the
network, the clock, an environment variable not under ``env:``, a file git ignores) is an
*undeclared input*: declare it under ``inputs:`` or set ``cache: false`` (docs/selection.md).

The cache lives in a directory (``.testgate/cache`` by default; ``cache.dir`` can name a
shared one) or in a database (``cache.url``: the history store's ``step_cache`` table, e.g.
PostgreSQL for a team).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from testgate.model import StepResult

__all__ = [
    "FORMAT",
    "CacheEntry",
    "DbCache",
    "DirCache",
    "StepCache",
    "StepKey",
    "step_key",
]

FORMAT = "testgate.step-cache/1"
#: a step whose reports are bigger than this is not cached
MAX_ENTRY_BYTES = 64 * 1024 * 1024
_LOCKFILES = (
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "requirements.txt",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "go.sum",
    "Cargo.lock",
)


@dataclass(slots=True)
class StepKey:
    """A step's key and what went into it (``testgate select --explain`` shows it)."""

    key: str
    inputs: list[str]
    files: int


def _git(cwd: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=cwd,
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "surrogateescape")


def _matches(path: str, patterns: list[str]) -> bool:
    import fnmatch

    for p in patterns:
        pat = p[2:] if p.startswith("./") else p
        if fnmatch.fnmatchcase(path, pat) or (
            "/" not in pat and fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pat)
        ):
            return True
        if pat.endswith("/**") and (path + "/").startswith(pat[:-2]):
            return True
    return False


def step_key(
    *,
    root: Path,
    cwd: Path,
    command: str,
    env: dict[str, str],
    reports: list[str],
    inputs: list[str],
    version: str,
) -> StepKey | None:
    """The key of a step, or None when it cannot be computed (not a git repository): a step
    without a key is never cached."""
    top_text = _git(root, "rev-parse", "--show-toplevel")
    if top_text is None:
        return None
    top = Path(top_text.strip())
    listing = _git(top, "ls-files", "-s", "-z")
    others = _git(top, "ls-files", "-z", "--others", "--exclude-standard")
    dirty = _git(top, "diff", "--name-only", "-z")
    if listing is None or others is None or dirty is None:
        return None
    blobs: dict[str, str] = {}
    for entry in listing.split("\0"):
        if entry:
            meta, _, path = entry.partition("\t")
            blobs[path] = meta.split()[1]
    changed = {p for p in dirty.split("\0") if p} | {p for p in others.split("\0") if p}
    try:
        root_rel = root.resolve().relative_to(top.resolve()).as_posix()
        cwd_rel = cwd.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None
    root_rel = "" if root_rel == "." else root_rel
    cwd_rel = "" if cwd_rel == "." else cwd_rel

    def under(path: str, d: str) -> str | None:
        if not d:
            return path
        return path[len(d) + 1 :] if path.startswith(d + "/") else None

    own_reports = [r[2:] if r.startswith("./") else r for r in reports]
    every = sorted(
        p
        for p in set(blobs) | changed
        # the step's own reports are its output, never its input (a report git does not ignore
        # would otherwise change the key at every run)
        if not _matches(under(p, root_rel) or "\0", own_reports)
    )
    chosen: list[str] = []
    if inputs:
        described = list(inputs)
        for path in every:
            rel = under(path, root_rel)
            if rel is not None and _matches(rel, inputs):
                chosen.append(path)
    else:
        described = [f"git files under {cwd_rel or '.'}", "lockfiles at the repository root"]
        for path in every:
            if under(path, cwd_rel) is not None or path in _LOCKFILES:
                chosen.append(path)
    h = hashlib.sha256()
    h.update(f"{FORMAT}\0{version}\0{command}\0{cwd_rel}\0".encode())
    for k, v in sorted(env.items()):
        h.update(f"env\0{k}\0{v}\0".encode("utf-8", "surrogateescape"))
    for r in reports:
        h.update(f"report\0{r}\0".encode("utf-8", "surrogateescape"))
    for path in chosen:
        if path in changed or path not in blobs:
            try:
                digest = hashlib.sha256((top / path).read_bytes()).hexdigest()
            except OSError:
                digest = "missing"
        else:
            digest = blobs[path]
        h.update(f"file\0{path}\0{digest}\0".encode("utf-8", "surrogateescape"))
    return StepKey(h.hexdigest(), described, len(chosen))


@dataclass(slots=True)
class CacheEntry:
    """A green run of a step: its result and its report files (relative paths, bytes)."""

    key: str
    step: str
    run: str
    result: dict[str, Any]
    reports: list[tuple[str, bytes]] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        doc = {
            "schema": FORMAT,
            "key": self.key,
            "step": self.step,
            "run": self.run,
            "result": self.result,
            "reports": [
                {"path": p, "data": base64.b64encode(b).decode("ascii")} for p, b in self.reports
            ],
        }
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> CacheEntry | None:
        try:
            doc = json.loads(raw)
            if doc.get("schema") != FORMAT:
                return None
            return cls(
                key=doc["key"],
                step=doc["step"],
                run=doc["run"],
                result=doc["result"],
                reports=[(r["path"], base64.b64decode(r["data"])) for r in doc["reports"]],
            )
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None  # a damaged entry is a miss, never an error


class StepCache(Protocol):
    """Where cache entries live."""

    #: shown in messages
    where: str

    def get(self, key: str) -> CacheEntry | None: ...

    def put(self, entry: CacheEntry) -> None: ...


class DirCache:
    """Entries as files in a directory (``<dir>/<ab>/<key>``), written atomically, so that
    several runs (or machines sharing the directory) can write at once."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.where = str(directory)

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / key

    def get(self, key: str) -> CacheEntry | None:
        try:
            raw = zlib.decompress(self._path(key).read_bytes())
        except (OSError, zlib.error):
            return None
        entry = CacheEntry.from_bytes(raw)
        return entry if entry is not None and entry.key == key else None

    def put(self, entry: CacheEntry) -> None:
        path = self._path(entry.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{entry.key}.{os.getpid()}.{id(entry)}.tmp")
        try:
            tmp.write_bytes(zlib.compress(entry.to_bytes(), 6))
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()


class DbCache:
    """Entries in the history store's ``step_cache`` table (SQLite or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        from testgate.history.store import open_store

        self.store = open_store(url)
        self.where = self.store.safe_url

    def get(self, key: str) -> CacheEntry | None:
        from testgate.history.testmaps import cache_get

        raw = cache_get(self.store, key)
        entry = CacheEntry.from_bytes(raw) if raw is not None else None
        return entry if entry is not None and entry.key == key else None

    def put(self, entry: CacheEntry) -> None:
        from testgate.history.testmaps import cache_put

        cache_put(
            self.store, key=entry.key, step=entry.step, run_uid=entry.run, payload=entry.to_bytes()
        )

    def close(self) -> None:
        self.store.close()


def replayed_result(
    entry: CacheEntry, *, stage: str, name: str, log: str, command: str
) -> StepResult:
    """The result of a step replayed from *entry*: passed, cached, no attempt made now."""
    old = entry.result
    return StepResult(
        stage=stage,
        name=name,
        status="passed",
        exit_code=old.get("exit_code"),
        attempts=0,
        duration_s=0.0,
        log=log,
        reason=f"cached: inputs unchanged since run {entry.run} (key {entry.key[:12]})",
        command=command,
        cached=True,
    )
