"""``testgate generate``: tests from a package's public API.

The package is read with :mod:`ast` (nothing of it is imported at scan time); Hypothesis's
ghostwriter writes property tests where type hints allow (round-trips of encode/decode pairs,
idempotence of normalise-like functions, no exception but those a function raises itself),
and a ``pytest.mark.skip(reason="write the assertion")`` stub marks every function it cannot
infer anything for. ``integration=True`` adds route smoke tests for FastAPI and Flask apps.
See ``docs/generate.md``.
"""

from __future__ import annotations

from testgate.generate.scan import ScanResult, scan
from testgate.generate.writer import GenerateResult, PlannedFile, generate

__all__ = ["GenerateResult", "PlannedFile", "ScanResult", "generate", "scan"]
