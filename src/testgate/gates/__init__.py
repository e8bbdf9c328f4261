"""Quality gates: the threshold language, gate specs, evaluation, new-code coverage.

Gates are pure functions of model objects; the I/O they need (git, baseline files, the
history) happens in :func:`testgate.workflow.gate`. The verdict they produce is
:class:`testgate.verdict.Verdict`; its renderers are in :mod:`testgate.report.verdict`.

Import the submodules (:mod:`~testgate.gates.evaluate`, :mod:`~testgate.gates.spec`,
:mod:`~testgate.gates.threshold`): this package itself stays empty so that loading the
criteria registry (:mod:`~testgate.gates.builtin`) costs nothing at start-up.
"""

from __future__ import annotations
