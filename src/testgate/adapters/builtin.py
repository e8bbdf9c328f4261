"""Registers testgate's own adapters through the same hook a third-party plugin uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testgate.hookspec import hookimpl

if TYPE_CHECKING:
    from testgate.adapters.registry import AdapterRegistry


@hookimpl
def testgate_register_adapters(registry: AdapterRegistry) -> None:
    # Each family module exposes ADAPTERS; imported here so the CLI starts without them.
    from importlib import import_module

    for modname in BUILTIN_MODULES:
        module = import_module(modname)
        for adapter in module.ADAPTERS:
            registry.register(adapter)


#: one module per report family
BUILTIN_MODULES: tuple[str, ...] = (
    "testgate.adapters.junit",
    "testgate.adapters.trx",
    "testgate.adapters.nunit",
    "testgate.adapters.xunit",
    "testgate.adapters.tap",
    "testgate.adapters.gotest",
    "testgate.adapters.jest",
    "testgate.adapters.cobertura",
    "testgate.adapters.lcov",
    "testgate.adapters.k6",
    "testgate.adapters.pytest_benchmark",
    "testgate.adapters.locust",
    "testgate.adapters.jmeter",
    "testgate.adapters.gatling",
    "testgate.adapters.wrk",
    "testgate.adapters.microbench",
    "testgate.adapters.autocannon",
    "testgate.adapters.jacoco",
    "testgate.adapters.coveragepy_json",
    "testgate.adapters.coveragepy_data",
    "testgate.adapters.istanbul",
    "testgate.adapters.clover",
    "testgate.adapters.gocover",
    "testgate.adapters.sarif",
    "testgate.adapters.audit",
    "testgate.adapters.trivy",
    "testgate.adapters.gitleaks",
    "testgate.adapters.sast",
    "testgate.adapters.lint",
    "testgate.adapters.linters",
    "testgate.adapters.quality",
    "testgate.adapters.cognitive",
    "testgate.adapters.mutation",
)
