"""Properties: the fast paths read random reports exactly as the careful readers do."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testgate.adapters._xml import parse_with_target
from testgate.adapters.cobertura import _Collector, _head_sources, _read_elements
from testgate.adapters.lcov import _read_fast, _read_slow

line_no = st.integers(1, 400)
count = st.one_of(st.integers(0, 5), st.integers(0, 2**40))

da = st.tuples(line_no, count, st.sampled_from(["", ",0a1b", ""]))
brda = st.tuples(
    line_no,
    st.sampled_from(["0", "1", "e3"]),
    st.integers(0, 3),
    st.one_of(st.just("-"), count.map(str)),
)


@st.composite
def lcov_record(draw: st.DrawFn) -> str:
    out = [draw(st.sampled_from(["TN:", "TN:unit", ""])), f"SF:src/f{draw(st.integers(0, 3))}.c"]
    out += draw(st.lists(st.sampled_from(["FN:1,main", "FNDA:1,main", "FNF:1", "VER:x"])))
    branches = [f"BRDA:{n},{b},{k},{t}" for n, b, k, t in draw(st.lists(brda, max_size=8))]
    lines = [f"DA:{n},{h}{c}" for n, h, c in draw(st.lists(da, max_size=30))]
    if draw(st.booleans()):
        out += branches + lines  # geninfo's order
    else:
        mixed = branches + lines
        out += draw(st.permutations(mixed))
    out += ["LF:0", "LH:0", draw(st.sampled_from(["end_of_record", "end_of_record "]))]
    return "\n".join(x for x in out if x)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lcov_record(), min_size=1, max_size=4), st.sampled_from(["\n", "\r\n"]))
def test_lcov_fast_path_equals_the_line_reader(records: list[str], newline: str) -> None:
    text = "\n".join(records) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.info"
        path.write_bytes(text.replace("\n", newline).encode())
        fast = _read_fast(path)
        if fast is not None:  # None: left to the careful reader, which is always right
            assert fast == _read_slow(path)


cc = st.integers(1, 4).flatmap(lambda t: st.tuples(st.integers(0, t), st.just(t)))
cob_line = st.tuples(line_no, count, st.one_of(st.none(), cc))


def _lines_xml(lines: list[tuple[int, int, tuple[int, int] | None]]) -> str:
    out = []
    for n, h, br in lines:
        if br is None:
            out.append(f'<line number="{n}" hits="{h}" branch="false"/>')
        else:
            c, t = br
            out.append(
                f'<line number="{n}" hits="{h}" branch="true" '
                f'condition-coverage="{100 * c // t}% ({c}/{t})"/>'
            )
    return "<lines>" + "".join(out) + "</lines>"


@st.composite
def cob_class(draw: st.DrawFn) -> str:
    name = f"src/m{draw(st.integers(0, 3))}.py"
    methods = draw(st.lists(st.lists(cob_line, max_size=5), max_size=3))
    own = draw(st.lists(cob_line, max_size=12))
    mxml = "".join(f'<method name="m{i}">{_lines_xml(m)}</method>' for i, m in enumerate(methods))
    own_xml = _lines_xml(own) if own or draw(st.booleans()) else ""
    return f'<class name="c" filename="{name}"><methods>{mxml}</methods>{own_xml}</class>'


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cob_class(), max_size=5), st.lists(st.sampled_from(["src", "/ci/app"])))
def test_cobertura_fast_path_equals_the_element_reader(
    classes: list[str], sources: list[str]
) -> None:
    src = "".join(f"<source>{s}</source>" for s in sources)
    doc = (
        f'<coverage line-rate="1"><sources>{src}</sources><packages><package name="p">'
        f"<classes>{''.join(classes)}</classes></package></packages></coverage>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.xml"
        path.write_text(doc)
        collector = _Collector()
        parse_with_target(path, collector)
        assert not collector.bad
        assert (collector.files, _head_sources(path), collector.missing) == _read_elements(path)
