"""Licences of the installed Python distributions against an allow-list.

The licence is read from the distribution's metadata: ``License-Expression`` (PEP 639), then
the ``License ::`` classifiers, then a short ``License`` field. A distribution whose licence
cannot be told is a finding too (fail closed); an SPDX expression passes when every licence it
requires is allowed (``A OR B``: one of them).
"""

from __future__ import annotations

import importlib.metadata as md
import re
from collections.abc import Iterable, Sequence

from testgate.model import Finding

__all__ = ["DEFAULT_ALLOW", "license_of", "scan_licenses"]

#: permissive licences allowed unless told otherwise
DEFAULT_ALLOW: tuple[str, ...] = (
    "MIT",
    "MIT-0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "Apache-2.0",
    "ISC",
    "PSF-2.0",
    "Python-2.0",
    "MPL-2.0",
    "Unlicense",
    "0BSD",
    "Zlib",
    "CC0-1.0",
    "HPND",
)

#: classifier (after "License :: ") -> SPDX id
_CLASSIFIERS = {
    "OSI Approved :: MIT License": "MIT",
    "OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "OSI Approved :: BSD License": "BSD-3-Clause",
    "OSI Approved :: Apache Software License": "Apache-2.0",
    "OSI Approved :: ISC License (ISCL)": "ISC",
    "OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "OSI Approved :: zlib/libpng License": "Zlib",
    "OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
    "Public Domain": "Unlicense",
}
#: short ``License:`` field values -> SPDX id
_SHORT = {
    "mit": "MIT",
    "mit license": "MIT",
    "bsd": "BSD-3-Clause",
    "bsd license": "BSD-3-Clause",
    "new bsd": "BSD-3-Clause",
    "bsd-3-clause": "BSD-3-Clause",
    "bsd-2-clause": "BSD-2-Clause",
    "3-clause bsd": "BSD-3-Clause",
    "apache 2.0": "Apache-2.0",
    "apache-2.0": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache software license": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0",
    "isc": "ISC",
    "isc license": "ISC",
    "psf": "PSF-2.0",
    "mpl-2.0": "MPL-2.0",
    "mpl 2.0": "MPL-2.0",
    "gpl": "GPL-3.0-or-later",
    "gplv3": "GPL-3.0-only",
    "lgpl": "LGPL-3.0-or-later",
    "unlicense": "Unlicense",
}


def license_of(dist: md.Distribution) -> str | None:
    """The SPDX expression of *dist*'s licence, or None when it cannot be told."""
    meta = dist.metadata

    def field(name: str) -> str | None:
        # a missing field is None in Python's importlib.metadata and a KeyError in newer
        # versions of it (and in the importlib_metadata backport)
        try:
            value = meta[name]
        except KeyError:
            return None
        return value if isinstance(value, str) else None

    expr = field("License-Expression")
    if expr and expr.strip():
        return expr.strip()
    ids = [
        _CLASSIFIERS[c[len("License :: ") :]]
        for c in meta.get_all("Classifier") or []
        if c.startswith("License :: ") and c[len("License :: ") :] in _CLASSIFIERS
    ]
    if ids:
        return " OR ".join(dict.fromkeys(ids))
    short = (field("License") or "").strip()
    if short and "\n" not in short and len(short) < 60:
        return _SHORT.get(short.lower(), short)
    return None


def _allowed(expr: str, allow: set[str]) -> bool:
    """Whether an SPDX expression is satisfied by the allowed ids (OR: any; AND: all)."""
    text = re.sub(r"\bWITH\s+[\w.+-]+", "", expr.replace("(", " ").replace(")", " "))
    alternatives = re.split(r"\s+OR\s+", text.strip(), flags=re.IGNORECASE)
    for alt in alternatives:
        parts = [p.strip() for p in re.split(r"\s+AND\s+", alt, flags=re.IGNORECASE) if p.strip()]
        if parts and all(p.rstrip("+").lower() in allow for p in parts):
            return True
    return False


def scan_licenses(
    allow: Iterable[str] = DEFAULT_ALLOW,
    *,
    ignore: Sequence[str] = (),
    distributions: Iterable[md.Distribution] | None = None,
) -> tuple[list[Finding], int]:
    """Findings for every installed distribution whose licence is not allowed (or unknown),
    and how many distributions were checked."""
    allowed = {a.lower() for a in allow}
    skip = {re.sub(r"[-_.]+", "-", n).lower() for n in ignore}
    findings: list[Finding] = []
    seen: set[str] = set()
    checked = 0
    for dist in distributions if distributions is not None else md.distributions():
        name = dist.metadata["Name"] or ""
        key = re.sub(r"[-_.]+", "-", name).lower()
        if not name or key in seen or key in skip:
            continue
        seen.add(key)
        checked += 1
        expr = license_of(dist)
        version = dist.version
        if expr is None:
            findings.append(
                Finding(
                    "testgate-licenses",
                    "license-unknown",
                    "medium",
                    f"{name} {version}: no licence in its metadata; check it by hand "
                    "(or --ignore it)",
                    category="license",
                    package=name,
                    version=version,
                )
            )
        elif not _allowed(expr, allowed):
            findings.append(
                Finding(
                    "testgate-licenses",
                    "license-not-allowed",
                    "high",
                    f"{name} {version} is licensed {expr}, which the allow-list does not allow",
                    category="license",
                    package=name,
                    version=version,
                )
            )
    findings.sort(key=lambda f: (f.package or "").lower())
    return findings, checked
