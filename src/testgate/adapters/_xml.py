"""Hardened, streaming XML reading shared by every XML adapter.

Reports are untrusted input: a DTD that declares entities is refused outright (no billion
laughs, no external entities, so no file of the machine can leak into a result), the network is
never touched, and large files are read with ``iterparse`` so memory stays flat.

A ``<!DOCTYPE x SYSTEM "...dtd">`` or ``PUBLIC`` reference without entity declarations is
accepted: Cobertura and JaCoCo write one in every report, and the parser never loads it
(``load_dtd=False``, ``no_network=True``, ``resolve_entities=False``), so the reference is inert.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from testgate.adapters.registry import read_head
from testgate.errors import InputError

__all__ = [
    "check_prolog",
    "child_text",
    "expect_root",
    "iterparse",
    "local",
    "parse_error",
    "parse_with_target",
    "root_tag",
]

_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)


def local(tag: object) -> str:
    """The tag name without its namespace (``{ns}testcase`` -> ``testcase``)."""
    if not isinstance(tag, str):
        return ""  # comments, processing instructions
    return tag.rsplit("}", 1)[-1]


_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")
_SKIP = re.compile(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", re.DOTALL)


def root_tag(head: str) -> str | None:
    """The local name of the document's first element, judged from its first bytes."""
    m = _FIRST_TAG.search(_SKIP.sub("", head))
    return m.group(1).rsplit(":", 1)[-1] if m else None


def expect_root(path: Path, expected: str, fmt: str) -> None:
    """Refuse, naming the format, a document whose root element is not *expected*.

    Run before streaming so that a report forced with the wrong ``--format`` says so, instead
    of failing later on some element that happens to share a name.
    """
    head = read_head(path)
    tag = root_tag(head)
    if tag is not None and tag != expected:
        line = head[: head.find("<" + tag)].count("\n") + 1 if ("<" + tag) in head else 1
        raise InputError(
            f"{path}:{line}: not a {fmt} report: the root element is <{tag}>, "
            f"expected <{expected}>",
            slug="unknown-format",
        )


def child_text(elem: Any, *path: str) -> str | None:
    """Text of the first descendant reached by the local names *path* (namespaces ignored),
    stripped; None when the path does not exist or the text is empty."""
    cur = elem
    for name in path:
        for child in cur:
            if local(child.tag) == name:
                cur = child
                break
        else:
            return None
    text = "".join(cur.itertext()).strip()
    return text or None


def check_prolog(path: Path, head: str | None = None) -> None:
    """Refuse a document whose DTD declares entities.

    An external DTD reference alone is allowed: it is never loaded (see the module docstring),
    and refusing it would refuse every report Cobertura and JaCoCo write.
    """
    text = head if head is not None else read_head(path)
    if _ENTITY_DECL.search(text):
        line = text[: _ENTITY_DECL.search(text).start()].count("\n") + 1  # type: ignore[union-attr]
        raise InputError(
            f"{path}:{line}: refused: the document declares XML entities (<!ENTITY>), which "
            "testgate never expands (they enable entity-expansion bombs and file disclosure)",
            slug="hostile-xml",
        )


def parse_error(path: Path, exc: etree.XMLSyntaxError) -> InputError:
    """One readable error for a malformed, truncated or mis-encoded XML file."""
    line = exc.lineno or (exc.position[0] if exc.position else 0)
    msg = exc.msg or str(exc)
    if (
        "Document is empty" in msg
        or "no element found" in msg
        or ("Start tag expected" in msg and line <= 1)
    ):
        return InputError(f"{path}:{line or 1}: report is empty or not XML", slug="empty-report")
    if "Unregistered error message" in msg:
        # libxml2's text for some errors at the end of input, e.g. an unclosed CDATA section
        msg = "the document is truncated or malformed (unexpected end of input)"
    return InputError(f"{path}:{line}: malformed XML: {msg}", slug="malformed-report")


def iterparse(
    path: Path,
    events: tuple[str, ...] = ("start", "end"),
    *,
    tag: str | Sequence[str] | None = None,
) -> Iterator[tuple[str, etree._Element]]:
    """Stream ``(event, element)`` pairs from *path*, safely; errors become :class:`InputError`.

    Callers must ``elem.clear()`` finished elements (and drop earlier siblings) to keep memory
    flat on large files.
    """
    check_prolog(path)
    try:
        it = etree.iterparse(
            str(path),
            events=events,
            tag=tag,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            remove_comments=True,
            remove_pis=True,
            huge_tree=True,  # long text nodes (big traces) are legal; entities are refused above
            recover=False,
        )
        yield from it
    except etree.XMLSyntaxError as exc:
        raise parse_error(path, exc) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc})", slug="missing-file") from None


def parse_with_target(path: Path, target: Any, *, chunk_size: int = 1 << 20) -> Any:
    """Stream *path* into a parser *target* (``start``/``end``/``data``/``close``), safely.

    The same hardening as :func:`iterparse`, but no tree is built at all: the target sees each
    element's tag and attributes as they pass. Faster than ``iterparse`` for readers that only
    need a few attributes of millions of elements (JUnit). Returns ``target.close()``.

    A target with a ``flush()`` method has it called after each chunk of input (at most
    *chunk_size* bytes): a target whose ``data`` only accumulates can bound its memory there.
    """
    flush = getattr(target, "flush", None)
    check_prolog(path)
    parser = etree.XMLParser(
        target=target,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,
        recover=False,
    )
    blank = True
    try:
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(chunk_size)
                if not chunk:
                    break
                if blank and chunk.strip():
                    blank = False
                parser.feed(chunk)
                if flush is not None:
                    flush()
        return parser.close()
    except etree.XMLSyntaxError as exc:
        if blank:
            raise InputError(f"{path}:1: report is empty", slug="empty-report") from None
        raise parse_error(path, exc) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc})", slug="missing-file") from None
