"""``block_deployment``: a status file that makes ``testgate gate --env`` refuse.

Triage writes ``.testgate/deploy-block.json`` when a run has a cluster whose escalation says
``block_deployment`` (by default: a critical one), and removes it when a later run has none.
While it exists, every ``testgate gate --env NAME`` fails with the reason and the clusters.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

from testgate.triage.clusters import Triage

__all__ = ["BLOCK_FILE", "BLOCK_SCHEMA", "clear_block", "read_block", "update_block", "write_block"]

BLOCK_FILE = "deploy-block.json"
BLOCK_SCHEMA = "testgate.deploy-block/1"


def write_block(state_dir: Path, t: Triage) -> Path | None:
    """Write the block file for *t*'s blocking clusters; None (and nothing written) if none."""
    blocking = [c for c in t.clusters if "block_deployment" in c.actions]
    if not blocking:
        return None
    doc = {
        "schema": BLOCK_SCHEMA,
        "run": t.run,
        "commit": t.commit,
        "branch": t.branch,
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "clusters": [
            {
                "fingerprint": c.fingerprint,
                "signature": c.signature,
                "severity": c.severity,
                "failure_type": c.failure_type,
                "count": c.size,
                "owners": c.owners,
            }
            for c in blocking
        ],
    }
    target = state_dir / BLOCK_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{BLOCK_FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def clear_block(state_dir: Path) -> bool:
    """Remove the block file; whether there was one."""
    try:
        (state_dir / BLOCK_FILE).unlink()
    except FileNotFoundError:
        return False
    return True


def update_block(state_dir: Path, t: Triage) -> Path | None:
    """Write the block for *t*, or lift an earlier one when *t* blocks nothing."""
    written = write_block(state_dir, t)
    if written is None:
        clear_block(state_dir)
    return written


def read_block(state_dir: Path) -> dict[str, Any] | None:
    """The block in force, or None. An unreadable block file still blocks (fail closed)."""
    path = state_dir / BLOCK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        return {"run": None, "clusters": [], "error": f"{path}: {exc}"}
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except (ValueError, RecursionError) as exc:
        return {"run": None, "clusters": [], "error": f"{path}: unreadable ({exc})"}
    with contextlib.suppress(Exception):
        doc["path"] = str(path)
    return doc
