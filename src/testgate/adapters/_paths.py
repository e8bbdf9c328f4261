"""Turning the file paths that coverage producers write into paths relative to the repository root.

Producers write paths in every shape: relative to a ``<source>`` root (Cobertura), absolute paths
of the CI machine that made the report (``/home/runner/work/app/app/src/x.py``,
``D:\\a\\app\\src\\x.cs``, coverlet's deterministic ``/_/src/x.cs``), Windows separators, ``./``
prefixes. Gates, new-code coverage and test selection compare these paths with ``git diff``, so
every coverage adapter maps them to one form: POSIX separators, relative to the repository root.

The rules, in order (docs/formats-coverage.md repeats them for users):

1. ``\\`` becomes ``/``; surrounding whitespace, ``./`` and ``a/../`` segments are removed.
2. A relative path is tried under each source root (relative roots are taken from the repository
   root); the first candidate that exists under the repository root wins, and so does the path
   itself when it exists as written.
3. An absolute path under the repository root is made relative to it.
4. Otherwise (for an absolute path, or a path under a foreign absolute source root) the longest
   suffix of the path that exists under the repository root wins: this strips the CI machine's
   checkout prefix when the report is read on another machine.
5. Otherwise a relative path is looked up as the tail of the repository's files: JaCoCo writes
   ``org/x/A.java`` for ``src/main/java/org/x/A.java``. Only a unique match is taken (two
   ``__init__.py`` files prove nothing). The repository is listed once per report, and only
   when this rule is needed (directories starting with ``.``, ``node_modules`` and
   ``__pycache__`` are skipped).
6. Otherwise, when nothing exists (a report read without its sources): a path joined to a
   relative source root is kept joined; a path whose source root is absolute and foreign is kept
   as the producer wrote it, relative; an absolute path under a CI system's checkout
   (:data:`CI_WORKSPACES`: GitHub Actions' ``/home/runner/work/<repo>/<repo>/`` and
   ``D:\\a\\<repo>\\<repo>\\``, GitLab's ``/builds/<group>/<project>/``, Jenkins'
   ``.../workspace/<job>/``, Azure Pipelines' ``.../_work/<n>/s/``, CircleCI, Travis, Bitbucket,
   Drone, Buildkite) loses that prefix; any other absolute path stays absolute (with ``/``).

The same rules name the files of every report kind (coverage, JUnit ``file=``, SARIF, gitleaks,
trivy, pip-audit, ...), so that one file has one name across all reports of a run. Readers of
reports that are not coverage pass ``tails=False``: rule 5 lists the repository, which only
coverage's package-relative paths need.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

__all__ = [
    "CI_WORKSPACES",
    "PathNormalizer",
    "clean",
    "is_absolute",
    "normalize_path",
    "strip_ci_workspace",
]

#: directories never listed when looking a path up by its tail
_SKIP_DIRS = frozenset(("node_modules", "__pycache__"))
#: listing stops after this many files: a huge tree is not worth a slow report
_MAX_INDEXED = 500_000

_DRIVE = re.compile(r"^[A-Za-z]:(/|$)")

#: checkout directories of CI systems, on a clean path (``/`` separators); the first match's
#: prefix is removed from an absolute path that names no file under the repository root
CI_WORKSPACES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^/home/runner/work/[^/]+/[^/]+/",  # GitHub Actions, Linux
        r"^/Users/runner/work/[^/]+/[^/]+/",  # GitHub Actions, macOS
        r"^[A-Za-z]:/a/[^/]+/[^/]+/",  # GitHub Actions, Windows (D:\a\repo\repo)
        r"^/github/workspace/",  # GitHub container actions
        r"^/builds/[^/]+/[^/]+/",  # GitLab (/builds/<group>/<project>)
        r"^(?:.*/)?jobs/[^/]+/workspace/",  # Jenkins, old layout (jobs/<job>/workspace)
        r"^(?:.*/)?workspace/[^/]+/",  # Jenkins ($JENKINS_HOME or agent)/workspace/<job>
        r"^(?:.*/)?_work/\d+/s/",  # Azure Pipelines (agent _work/<n>/s)
        r"^/home/vsts/work/\d+/s/",  # Azure Pipelines, hosted Linux
        r"^/home/circleci/(?:project|repo)/",  # CircleCI
        r"^/home/travis/build/[^/]+/[^/]+/",  # Travis CI
        r"^/opt/atlassian/pipelines/agent/build/",  # Bitbucket Pipelines
        r"^/drone/src/",  # Drone, Woodpecker
        r"^/var/lib/buildkite-agent/builds/[^/]+/[^/]+/[^/]+/",  # Buildkite
    )
)


#: PATH_MAX on Linux: no longer path can name a file
_PATH_MAX = 4096
#: the parent look-up below recurses once per directory level
_DEEP = 100


def strip_ci_workspace(p: str) -> str | None:
    """*p* (clean, absolute) without a CI system's checkout prefix; ``None`` if it has none."""
    for pattern in CI_WORKSPACES:
        m = pattern.match(p)
        if m is not None and m.end() < len(p):
            return p[m.end() :]
    return None


def clean(raw: str) -> str:
    """POSIX separators; no surrounding blanks, ``./`` or ``x/..`` segments, or trailing ``/``."""
    p = raw.strip().replace("\\", "/")
    if not p:
        return p
    # most producers write paths that are already clean: skip normpath (Python code) for them
    if "//" not in p and "/." not in p and p[0] != "." and p[-1] != "/":
        return p
    # keep a leading "//" (UNC share) as one slash: posixpath.normpath keeps exactly two otherwise
    unc = p.startswith("//")
    p = posixpath.normpath(p)
    if unc and p.startswith("//"):
        p = p[1:]
    return "" if p == "." else p


def is_absolute(p: str) -> bool:
    """Absolute on POSIX (``/x``) or on Windows (``C:/x``), judged on a :func:`clean` path."""
    return p.startswith("/") or (p[1:2] == ":" and _DRIVE.match(p) is not None)


def _parts(p: str) -> list[str]:
    if _DRIVE.match(p):
        p = p[2:]
    return [s for s in p.split("/") if s]


class PathNormalizer:
    """Normalises many paths against one repository root, caching file-system look-ups.

    One instance per report: a report with 10,000 files asks the file system at most a few
    times per file, and identical directories are only resolved once.
    """

    def __init__(
        self, root: Path | str, sources: Sequence[str] = (), *, tails: bool = True
    ) -> None:
        self.tails = tails
        self.root = Path(os.path.abspath(root))
        self._root_str = str(self.root)
        self._root_s = clean(str(self.root))
        self._root_prefix = self._root_s.rstrip("/") + "/"
        self.sources = [s for s in (clean(x) for x in sources) if s and not s.startswith("-")]
        # a source root such as "--source" is a converter's leaked command-line flag, not a path
        self._exists = lru_cache(maxsize=65536)(self._exists_uncached)
        self._index: dict[str, list[str]] | None = None

    def exists(self, rel: str) -> bool:
        """Whether *rel* (relative to the root) exists; cached."""
        return self._exists(clean(rel))

    def files_named(self, name: str) -> list[str]:
        """Every file called *name* under the root (relative POSIX paths), listed once."""
        if self._index is None:
            self._index = self._build_index()
        return self._index.get(name, [])

    def _build_index(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = defaultdict(list)
        count = 0
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS]
            rel = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            for f in filenames:
                index[f].append(prefix + f)
            count += len(filenames)
            if count > _MAX_INDEXED:
                break
        return dict(index)

    def _by_tail(self, p: str) -> str | None:
        tail = "/" + p
        named = self.files_named(p.rpartition("/")[2])
        if not named:
            return None
        found = [c for c in named if c.endswith(tail)]
        return found[0] if len(found) == 1 else None

    def _exists_uncached(self, rel: str) -> bool:
        if rel == "" or len(rel) > _PATH_MAX:
            return False  # longer than any path the system can open: a hostile report
        if rel.count("/") > _DEEP:
            # deeper than the parent cache's recursion goes: ask the file system once
            return os.path.exists(os.path.join(self._root_str, rel))
        # a file cannot exist in a directory that does not: the (cached) parent answers for
        # every file of a missing directory with one look-up (reports read without sources)
        parent = rel.rpartition("/")[0]
        if parent and parent not in ("/", "..") and not self._exists(parent):
            return False
        return os.path.exists(os.path.join(self._root_str, rel))

    def _relative(self, p: str) -> str | None:
        """*p* (clean) relative to the root when it lies under it; ``None`` otherwise."""
        if not is_absolute(p):
            return p
        if p == self._root_s:
            return ""
        if p.startswith(self._root_prefix):
            return p[len(self._root_prefix) :]
        # Windows drive letters compare case-insensitively
        if _DRIVE.match(p) and p.lower().startswith(self._root_prefix.lower()):
            return p[len(self._root_prefix) :]
        return None

    def suffix(self, p: str) -> str | None:
        """The longest proper suffix of *p* (clean) that exists under the root, if any."""
        return self._suffix(p)

    def _suffix(self, p: str) -> str | None:
        parts = _parts(p)
        for i in range(1, len(parts)):
            cand = "/".join(parts[i:])
            if self._exists(cand):
                return cand
        return None

    def __call__(self, raw: str) -> str:
        p = clean(raw)
        if not p:
            return p
        if is_absolute(p):
            rel = self._relative(p)
            if rel is not None:
                return rel
            return self._suffix(p) or strip_ci_workspace(p) or p
        candidates: list[str] = []
        for src in self.sources:
            joined = clean(f"{src}/{p}")
            rel = self._relative(joined)
            if rel is not None:
                if self._exists(rel):
                    return rel
                candidates.append(rel)
            else:
                found = self._suffix(joined)
                if found is not None:
                    return found
                candidates.append(p)  # a foreign absolute root: the path as written is best
        if self._exists(p):
            return p
        found = self._by_tail(p) if self.tails else None
        if found is not None:
            return found
        return candidates[0] if candidates else p


def normalize_path(
    raw: str, root: Path | str, sources: Sequence[str] = (), *, tails: bool = True
) -> str:
    """*raw* as a POSIX path relative to *root*; see the module docstring for the rules.

    For many paths of one report build one :class:`PathNormalizer` instead (it caches).
    """
    return PathNormalizer(root, sources, tails=tails)(raw)
