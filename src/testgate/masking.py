"""Secrets masked before testgate writes anything: ``***`` in place of every secret, as GitHub
Actions and GitLab CI do in their job logs.

A :class:`Masker` is built once per run (:meth:`Masker.build`) from

- the values of environment variables whose names look secret (:data:`SECRET_NAME`:
  ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ``*PASSWD*``, ``*CREDENTIAL*``, ``*API_KEY*``,
  ``*_KEY``, ...), plus the variables the configuration names (``secrets: env:``), together with
  their base64 and URL-encoded forms; a value shorter than :data:`MIN_SECRET_LEN` characters or a
  plain boolean word (``true``, ``off``) is not a secret (masking it would blank ordinary words);
- regular expressions from the configuration (``secrets: patterns:``);
- well-known token shapes (:data:`SHAPES`: GitHub, GitLab, AWS access key ids, Slack, JWTs,
  bearer tokens, private key blocks, ...), unless ``secrets: shapes: false``.

It is applied where text enters testgate: a step's output as it streams to its log
(:class:`StreamMasker`, which holds a partial line back until its end arrives, so a secret
written in two pieces is still found) and the text fields of every report as it is read. All
that testgate writes later (console, summary, history, reports, annotations, webhooks) derives
from those, so it is masked by construction.

This module imports nothing of testgate: the pipeline and the adapters both use it.
"""

from __future__ import annotations

import base64
import fnmatch
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "MASK",
    "MIN_SECRET_LEN",
    "SECRET_NAME",
    "SHAPES",
    "Masker",
    "StreamMasker",
    "looks_secret",
]

#: What a secret becomes.
MASK = "***"

#: A value shorter than this is never masked: it would blank ordinary words and numbers.
MIN_SECRET_LEN = 4

#: Environment variable names whose values are secrets (matched case-insensitively).
SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY"
    r"|_KEY$|^KEY$|_PAT$|_PWD$|AUTH_?KEY|SESSION_?KEY|COOKIE",
    re.IGNORECASE,
)

#: Names that match :data:`SECRET_NAME` but are well known to hold no secret.
_NOT_SECRET_NAMES = frozenset({"TOKENIZERS_PARALLELISM", "AWS_ACCESS_KEY_ID_FILE"})

#: Values that are never secrets, whatever the variable's name.
_NOT_SECRET_VALUES = frozenset(
    {"true", "false", "yes", "no", "on", "off", "none", "null", "nil", "undefined"}
)

#: Well-known token shapes: (kind, regular expression). Each match is masked whole.
SHAPES: tuple[tuple[str, str], ...] = (
    ("github", r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,251}\b"),
    ("github-fine-grained", r"\bgithub_pat_[A-Za-z0-9_]{22,244}\b"),
    (
        "gitlab",
        r"\b(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas|glcsoat)"
        r"-[A-Za-z0-9_-]{20,}",
    ),
    ("aws-access-key-id", r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b"),
    ("slack", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    ("slack-webhook", r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}"),
    ("bearer", r"(?<=[Bb]earer )[A-Za-z0-9._~+/-]{16,}=*"),
    ("basic-auth", r"(?<=[Aa]uthorization: [Bb]asic )[A-Za-z0-9+/]{8,}={0,2}"),
    ("url-password", r"(?<=://)[^/\s:@]+:[^/\s@]{3,}(?=@)"),
    ("stripe", r"\b[rs]k_live_[0-9a-zA-Z]{24,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("npm", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    ("sendgrid", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    ("openai", r"\bsk-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"),
    ("azure-storage", r"(?<=AccountKey=)[A-Za-z0-9+/]{86}=="),
)

# Every shape contains one of these hints; a text with none of them is skipped. Costs per
# character decide their form: one regular expression with many alternatives costs ~20 ns a
# character (sre tries them at every position whose character may start one), the shapes' full
# alternation ~80x more, while a one-character ``in`` is a memchr (~0.02 ns a character) and an
# expression that starts with a literal scans for it in a tight loop. So each hint is an
# expression with a literal prefix, looked for only when its gate, a character it needs, is in
# the text at all.
_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (gate, re.compile(rx))
    for gate, rx in (
        ("_", r"g(?:h[opusr]_|ithub_pat_)"),
        ("_", r"npm_"),
        ("_", r"_live_"),
        ("-", r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas|csoat)-"),
        ("-", r"pypi-"),
        ("x", r"xox"),
        ("A", r"A(?:KIA|SIA|BIA|CCA|3T|Iza|ccountKey=)"),
        ("J", r"eyJ"),
        ("J", r"T3BlbkFJ"),
        ("G", r"SG\."),
        ("@", r"@"),
        ("B", r"B(?:earer|asic) "),
        ("b", r"b(?:earer|asic) "),
        ("k", r"hooks\.slack"),
    )
)


def _hinted(text: str) -> bool:
    """Whether *text* may hold a token of a known shape."""
    return any(gate in text and rx.search(text) is not None for gate, rx in _HINTS)


_SHAPES = re.compile("|".join(f"(?:{rx})" for _, rx in SHAPES))

# A private key block spans lines: from its BEGIN line to its END line (or the end of the text).
_KEY_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_KEY_BLOCK = re.compile(
    r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
    r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"
)


# Characters by how often they appear in logs and traces, commonest first (a rough order: it
# only picks which character of a secret to look for first).
_COMMON = " etaoinsrhldcumfpgwybvkxjqz\n.,:;()/_-='\"0123456789\t[]{}<>ESTAIONRLCDUMPFGHBWVYKXJQZ"
_RANK = {c: i for i, c in enumerate(_COMMON)}


def _rarest(literal: str) -> str:
    """The character of *literal* least likely in ordinary text: looking for it first (a
    memchr) rules most texts out before the literal itself is looked for."""
    return max(literal, key=lambda c: _RANK.get(c, len(_COMMON)))


def looks_secret(name: str) -> bool:
    """Whether an environment variable called *name* holds a secret by its name."""
    return name.upper() not in _NOT_SECRET_NAMES and SECRET_NAME.search(name) is not None


def _is_secret_value(value: str) -> bool:
    v = value.strip()
    return len(v) >= MIN_SECRET_LEN and v.lower() not in _NOT_SECRET_VALUES


def _base64_forms(value: str) -> set[str]:
    """*value* base64-encoded at each of the three byte alignments it can have inside a longer
    encoded text (``user:token`` in a Basic header), without the characters that depend on its
    neighbours (as the GitHub Actions runner does)."""
    raw = value.encode("utf-8")
    forms: set[str] = set()
    for shift in range(3):
        enc = base64.b64encode(b"\0" * shift + raw).decode("ascii").rstrip("=")
        head = (0, 2, 3)[shift]  # characters that hold bits of the leading padding
        tail = (shift + len(raw)) % 3  # a partial last group: its last character is uncertain
        body = enc[head : len(enc) - (1 if tail else 0)]
        if len(body) >= 8:
            forms.add(body)
    return forms


def _encoded_forms(value: str) -> set[str]:
    forms = _base64_forms(value)
    for quoted in (urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value, safe="")):
        if quoted != value:
            forms.add(quoted)
    return forms


@dataclass(frozen=True)
class Masker:
    """Replaces secrets in text with :data:`MASK`. Cheap when there is nothing to mask.

    Built by :meth:`build`; picklable (a remote executor carries it to its workers).
    """

    #: literal secret values, longest first
    literals: tuple[str, ...] = ()
    #: the configuration's regular expressions
    patterns: tuple[str, ...] = ()
    #: mask the well-known token shapes (:data:`SHAPES`)
    shapes: bool = True
    _literal_rx: re.Pattern[str] | None = field(default=None, init=False, repr=False)
    _pattern_rx: re.Pattern[str] | None = field(default=None, init=False, repr=False)
    #: (the literal's rarest character, the literal): see :func:`_rarest`
    _gated: tuple[tuple[str, str], ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        if self.literals:
            alternation = "|".join(re.escape(s) for s in self.literals)
            object.__setattr__(self, "_literal_rx", re.compile(alternation))
            object.__setattr__(self, "_gated", tuple((_rarest(s), s) for s in self.literals))
        if self.patterns:
            object.__setattr__(
                self, "_pattern_rx", re.compile("|".join(f"(?:{p})" for p in self.patterns))
            )

    @classmethod
    def build(
        cls,
        envs: Iterable[Mapping[str, str]] = (),
        *,
        names: Iterable[str] = (),
        exclude: Iterable[str] = (),
        patterns: Iterable[str] = (),
        shapes: bool = True,
    ) -> Masker:
        """A masker for the secrets in the environments *envs* (the process's and each step's).

        A variable is secret when its name looks secret (:func:`looks_secret`) or matches one of
        *names* (fnmatch patterns, case-sensitive), and matches none of *exclude*. Each of its
        values' lines of :data:`MIN_SECRET_LEN` characters or more is masked, with its base64
        and URL-encoded forms.
        """
        wanted = tuple(names)
        unwanted = tuple(exclude)
        values: set[str] = set()
        for env in envs:
            for name, value in env.items():
                if any(fnmatch.fnmatchcase(name, x) for x in unwanted):
                    continue
                if not (looks_secret(name) or any(fnmatch.fnmatchcase(name, n) for n in wanted)):
                    continue
                # a multi-line value (a PEM in a variable) is masked line by line, as GitHub does
                for line in value.splitlines() or [value]:
                    if _is_secret_value(line):
                        values.add(line.strip())
        literals: set[str] = set(values)
        for v in values:
            literals |= _encoded_forms(v)
        ordered = tuple(sorted(literals, key=lambda s: (-len(s), s)))
        return cls(literals=ordered, patterns=tuple(patterns), shapes=shapes)

    @property
    def active(self) -> bool:
        """Whether this masker can change any text at all."""
        return bool(self.literals or self.patterns or self.shapes)

    def mask(self, text: str) -> str:
        """*text* with every secret replaced by :data:`MASK`."""
        if not text:
            return text
        if self._literal_rx is not None and (
            len(self._gated) > _FIND_LITERALS
            or any(gate in text and s in text for gate, s in self._gated)
        ):
            text = self._literal_rx.sub(MASK, text)
        if self._pattern_rx is not None:
            text = self._pattern_rx.sub(MASK, text)
        if self.shapes:
            if _hinted(text):
                text = _SHAPES.sub(MASK, text)
            if "PRIVATE KEY" in text:
                text = _KEY_BLOCK.sub(MASK, text)
        return text

    def mask_opt(self, text: str | None) -> str | None:
        """:meth:`mask` for an optional field."""
        return self.mask(text) if text else text

    def stream(self, sink: Callable[[bytes], object]) -> StreamMasker:
        """A :class:`StreamMasker` writing masked bytes to *sink*."""
        return StreamMasker(self, sink)


#: Up to this many literal secrets, substring searches decide whether the alternation runs at all.
_FIND_LITERALS = 64

#: A partial line longer than this is written (masked) without waiting for its end, except its
#: last :data:`_HOLD` bytes, so that a step printing no newline cannot fill memory.
_MAX_PENDING = 64 * 1024
_HOLD = 4096


class StreamMasker:
    """Masks a byte stream (a step's output) on its way to *sink*.

    Complete lines are masked and written at once; a partial line waits for its end (or
    :meth:`close`), so that a secret written in two pieces, flushed apart, is masked whole. A
    private key block is masked from its BEGIN line to its END line, across chunks. Bytes that
    are not UTF-8 pass through unchanged.
    """

    def __init__(self, masker: Masker, sink: Callable[[bytes], object]) -> None:
        self.masker = masker
        self.sink = sink
        self._pending = b""
        self._in_key = False

    def feed(self, data: bytes) -> None:
        """Take the next piece of output."""
        if not data:
            return
        buf = self._pending + data
        cut = max(buf.rfind(b"\n"), buf.rfind(b"\r")) + 1
        if cut == 0 and len(buf) > _MAX_PENDING:
            cut = self._safe_cut(buf, len(buf) - _HOLD)
        if cut:
            self._write(buf[:cut])
        self._pending = buf[cut:]

    def close(self) -> None:
        """The stream ended: write what is left."""
        if self._pending:
            self._write(self._pending)
            self._pending = b""

    def _safe_cut(self, buf: bytes, cut: int) -> int:
        """*cut*, moved back to the start of a secret that would straddle it."""
        text = buf.decode("utf-8", "surrogateescape")
        # positions in the decoded text equal byte positions only for ASCII; decode the prefix
        head = len(buf[:cut].decode("utf-8", "surrogateescape"))
        for rx in self._regexes(text):
            for m in rx.finditer(text, max(0, head - _HOLD)):
                if m.start() < head < m.end():
                    head = m.start()
        return len(text[:head].encode("utf-8", "surrogateescape"))

    def _regexes(self, text: str) -> list[re.Pattern[str]]:
        m = self.masker
        out = [rx for rx in (m._literal_rx, m._pattern_rx) if rx is not None]
        if m.shapes and _hinted(text):
            out.append(_SHAPES)
        return out

    def _write(self, data: bytes) -> None:
        text = data.decode("utf-8", "surrogateescape")
        if self.masker.shapes:
            text = self._mask_keys(text)
        text = self.masker.mask(text)
        self.sink(text.encode("utf-8", "surrogateescape"))

    def _mask_keys(self, text: str) -> str:
        """Private key blocks, whose lines may arrive in different chunks."""
        if self._in_key:
            end = _KEY_END.search(text)
            if end is None:
                return ""  # still inside the key: its masked start was written already
            self._in_key = False
            text = text[end.end() :]
        begins = list(_KEY_BEGIN.finditer(text))
        if begins and _KEY_END.search(text, begins[-1].end()) is None:
            self._in_key = True  # the block goes on in the next chunk
        return _KEY_BLOCK.sub(MASK, text)
