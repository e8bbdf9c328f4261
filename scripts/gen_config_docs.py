"""Regenerate the key reference in docs/configuration.md from the pydantic schema.

Usage: .venv/bin/python scripts/gen_config_docs.py [--check]
(--check exits 1 when the page is out of date, without writing it.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from testgate.config.reference import BEGIN, END, render_reference, update_page

PAGE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def main(argv: list[str]) -> int:
    if "--check" in argv:
        text = PAGE.read_text(encoding="utf-8")
        inner = text.partition(BEGIN)[2].partition(END)[0]
        if inner.strip() != render_reference().strip():
            print(f"{PAGE} is out of date; run scripts/gen_config_docs.py", file=sys.stderr)
            return 1
        return 0
    changed = update_page(PAGE)
    print(f"{PAGE}: {'updated' if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
