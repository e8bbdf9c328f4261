"""Hostile, broken and huge JUnit files: one clear error each, no leak, flat memory."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import pytest

from testgate.adapters.junit import read_junit
from testgate.adapters.registry import read_report
from testgate.errors import InputError

FIX = Path(__file__).parent.parent / "fixtures" / "junit"

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuite name="lolz"><testcase name="t"><failure message="&lol9;">&lol9;</failure></testcase>
</testsuite>
"""


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_report(path)
    return info.value


def test_xxe_is_refused_without_reading_the_target(tmp_path: Path) -> None:
    path = shutil.copy(FIX / "hostile__xxe.xml", tmp_path / "xxe.xml")
    err = _error(Path(path))
    assert "refused" in str(err)
    assert str(path) in str(err)
    assert "root:" not in str(err)  # nothing of /etc/passwd


def test_xxe_pointing_at_a_real_file_leaks_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    f = tmp_path / "xxe.xml"
    f.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<testsuite><testcase name="a"><failure message="&x;">&x;</failure></testcase>'
        "</testsuite>\n"
    )
    err = _error(f)
    assert "TOP-SECRET" not in str(err)
    with pytest.raises(InputError):
        read_junit(f)


def test_billion_laughs_is_refused_without_expansion(tmp_path: Path) -> None:
    f = tmp_path / "lol.xml"
    f.write_text(BILLION_LAUGHS)
    tracemalloc.start()
    try:
        err = _error(f)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"{f}:3:" in str(err)  # the line of the first entity declaration
    assert "lollol" not in str(err)
    assert peak < 5_000_000


def test_external_dtd_reference_is_never_loaded(tmp_path: Path) -> None:
    # Inert: the parser neither fetches nor reads it (Cobertura writes one in every report).
    f = tmp_path / "dtd.xml"
    f.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE testsuite SYSTEM "http://example.invalid/x.dtd">\n'
        '<testsuite><testcase name="a"/></testsuite>\n'
    )
    (t,) = read_junit(f)
    assert t.name == "a"


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"", 1, "empty"),
        (b"   \n\n", 1, "empty"),
        (b'<testsuite name="s">\n<testcase name="a">\n', 3, "malformed"),
        (b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="caf\xe9"/>\n', 2, "encoding"),
        (b'<testsuite name="s">\n<testcase name="a"></testsuite>\n', 2, "mismatch"),
    ],
    ids=["empty", "blank", "truncated", "latin1-declared-utf8", "bad-nesting"],
)
def test_broken_files_are_one_error_naming_file_and_line(
    tmp_path: Path, content: bytes, line: int, words: str
) -> None:
    f = tmp_path / "report.xml"
    f.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_report(f, format="junit")
    msg = str(info.value)
    assert msg.startswith(f"{f}:{line}:"), msg
    assert words in msg.lower()


def test_truncated_corpus_file() -> None:
    with pytest.raises(InputError, match=r"CorruptTest.xml:18: .*truncated"):
        read_junit(FIX / "surefire3__TEST-CorruptTest.xml")


def test_xml_that_is_not_junit_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "cov.xml"
    f.write_text('<?xml version="1.0"?>\n<coverage line-rate="1"><packages/></coverage>\n')
    with pytest.raises(InputError, match="not a JUnit XML report"):
        read_junit(f)


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    f = tmp_path / "u16.xml"
    text = '<?xml version="1.0" encoding="UTF-16"?>\n<testsuite><testcase name="é"/></testsuite>'
    f.write_bytes(text.encode("utf-16"))
    (t,) = read_report(f)[0].tests
    assert t.name == "é"


def _write_many(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
        for s in range(0, n, 1000):
            fh.write(f'<testsuite name="pkg.suite{s // 1000}" tests="1000">\n')
            for i in range(s, min(n, s + 1000)):
                if i % 100 == 0:
                    fh.write(
                        f'<testcase classname="pkg.C{s}" name="test_{i}" time="0.5">'
                        f'<failure message="boom">trace {i}</failure>'
                        f"<system-out>{'o' * 200}</system-out></testcase>\n"
                    )
                else:
                    fh.write(
                        f'<testcase classname="pkg.C{s}" name="test_{i}" file="t/test_{s}.py"'
                        f' line="{i % 300}" time="0.001"/>\n'
                    )
            fh.write("</testsuite>\n")
        fh.write("</testsuites>\n")


@pytest.mark.slow
def test_large_file_is_streamed_with_flat_memory(tmp_path: Path) -> None:
    n = 200_000
    f = tmp_path / "big.xml"
    _write_many(f, n)
    size = f.stat().st_size
    tracemalloc.start()
    try:
        tests = read_junit(f)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(tests) == n
    assert sum(t.status == "failed" for t in tests) == n // 100
    # The result itself holds ~n TestCases; a whole lxml tree of this file would cost several
    # times the file's size on top. Generous bound: well under what a tree would need.
    per_case = peak / n
    assert per_case < 600, f"{per_case:.0f} bytes per test case (file {size} bytes)"
