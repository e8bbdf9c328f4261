"""Secrets committed to the repository, found by detect-secrets (Yelp's maintained engine).

The secret itself never leaves the scanner: a finding names the file, the line, the kind of
secret and the first characters of its hash, so a summary can be shared safely.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from testgate.errors import InputError, require_extra
from testgate.model import Finding

__all__ = ["scan_secrets"]

_SKIP = {".git", ".testgate", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".tox"}
_MAX_FILE = 2 * 1024 * 1024


def _files(root: Path) -> list[Path]:
    """The repository's files: git's list when it is a repository, else a walk."""
    try:
        proc = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            timeout=60,
            check=False,
        )
        if proc.returncode == 0:
            names = [n for n in proc.stdout.decode("utf-8", "replace").split("\0") if n]
            return [root / n for n in names if not set(Path(n).parts) & _SKIP]
    except (OSError, subprocess.TimeoutExpired):
        pass
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP]
        out += [Path(dirpath) / f for f in filenames]
    return out


def scan_secrets(paths: Sequence[Path], *, root: Path | None = None) -> list[Finding]:
    """detect-secrets over *paths* (files or folders); findings relative to *root*."""
    require_extra("secrets", "testgate scan secrets", "detect_secrets")
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    root = (root or Path.cwd()).resolve()
    files: list[Path] = []
    for p in paths:
        p = p if p.is_absolute() else root / p
        if p.is_dir():
            files += _files(p)
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or directory to scan for secrets")
    collection = SecretsCollection()
    with default_settings():
        for f in sorted(set(files)):
            try:
                if not f.is_file() or f.stat().st_size > _MAX_FILE:
                    continue
            except OSError:
                continue
            collection.scan_file(str(f))
    findings: list[Finding] = []
    for filename, secret in collection:
        try:
            rel = Path(filename).resolve().relative_to(root).as_posix()
        except ValueError:
            rel = filename
        findings.append(
            Finding(
                tool="detect-secrets",
                rule=str(secret.type),
                severity="high",
                category="secret",
                message=f"{secret.type} (hash {str(secret.secret_hash)[:12]}…); rotate it and "
                "remove it from the history",
                path=rel,
                line=secret.line_number,
            )
        )
    findings.sort(key=lambda f: (f.path or "", f.line or 0, f.rule))
    return findings
