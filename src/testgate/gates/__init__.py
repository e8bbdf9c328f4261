"""Quality gates: the threshold language, gate specs, evaluation, new-code coverage, renderers.

Gates are pure functions of model objects; the I/O they need (git, baseline files) lives in
:mod:`testgate.gates.newcode`, :mod:`testgate.gates.baseline` and the CLI.
"""

from __future__ import annotations

from testgate.gates.evaluate import Result, Verdict, evaluate
from testgate.gates.spec import GatesSpec, parse_gates
from testgate.gates.threshold import Threshold

__all__ = ["GatesSpec", "Result", "Threshold", "Verdict", "evaluate", "parse_gates"]
