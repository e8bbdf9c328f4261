"""Build the triage corpus: real pytest and node --test suites that fail for causes labelled by
hand, run for real, their JUnit reports kept in benchmarks/corpus/triage/.

    .venv/bin/python benchmarks/triage_corpus.py      # rebuild (about a minute)

Each failing test's true cause is written down below (CAUSES): the tests were written to fail
for that cause, and the label says which failures a developer would fix with one change.
bench_triage.py measures testgate's fingerprints against these labels.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

OUT = Path(__file__).parent / "corpus" / "triage"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


DB_PORT, CACHE_PORT, NODE_PORT = closed_port(), closed_port(), closed_port()

PY_FILES = {
    "shop/__init__.py": "",
    "shop/prices.py": """
        def parse_price(text):
            value = float(text)
            if value < 0:
                raise ValueError(f"negative price {value!r} in {text!r}")
            return value

        def average(values):
            return sum(values) / len(values)

        def format_user(user):
            return user.name.title() + " <" + user.email + ">"

        def concat(a, b):
            return a + b
        """,
    "shop/config.py": """
        def load(settings):
            return {"timeout": settings["timeout"], "retries": settings.get("retries", 3)}
        """,
    "shop/native.py": """
        import subprocess, sys

        def run_native(n):
            # the native extension segfaults on every input (a child process dies of SIGSEGV)
            subprocess.run([sys.executable, "-c", "import ctypes; ctypes.string_at(0)"], check=True)
        """,
    "shop/queue.py": """
        import time

        def wait_for_queue(name):
            while True:  # the queue never drains: a hang
                time.sleep(0.05)
        """,
    "tests/conftest.py": "import sys, os\nsys.path.insert(0, os.getcwd())\n",
    "tests/test_prices.py": """
        import pytest
        from shop.prices import parse_price, average, format_user, concat

        @pytest.mark.parametrize("text", ["-1", "-2.5", "-100", "-0.01"])
        def test_parse_negative(text):
            assert parse_price(text) >= 0

        def test_cart_total_uses_parse():
            assert parse_price("3") + parse_price("-3") == 0

        def test_refund_parse():
            parse_price("-42")

        @pytest.mark.parametrize("values", [[], (), list()])
        def test_average_empty(values):
            assert average(values) == 0

        class User:
            name = "ada"
            email = None

        @pytest.mark.parametrize("n", [1, 2, 3, 4])
        def test_format_user(n):
            format_user(User())

        def test_concat_mixed():
            concat("a", 1)

        def test_concat_list():
            concat([1], "b")
        """,
    "tests/test_totals.py": """
        import pytest

        def total(items):
            return sum(items) + 1  # off by one

        @pytest.mark.parametrize("items,expected", [([1, 2], 3), ([5], 5), ([], 0), ([2, 2], 4)])
        def test_total(items, expected):
            assert total(items) == expected

        def test_tax_rate():
            assert round(0.1 + 0.2, 2) == 0.31

        def test_discount_label():
            assert "SALE".lower() == "Sale"

        def test_currency_symbol():
            assert {"EUR": "€"}.get("USD") == "$"

        def test_rounding_mode():
            assert round(2.5) == 3

        def test_sorted_names():
            assert sorted(["b", "a"]) == ["b", "a"]
        """,
    "tests/test_config.py": """
        import pytest
        from shop.config import load

        @pytest.mark.parametrize("retries", [1, 2, 3])
        def test_load_retries(retries):
            assert load({"retries": retries})["retries"] == retries

        def test_load_defaults():
            load({})
        """,
    "tests/test_db.py": f"""
        import socket, urllib.request

        def test_orders_query():
            socket.create_connection(("127.0.0.1", {DB_PORT}), timeout=2)

        def test_users_query():
            socket.create_connection(("127.0.0.1", {DB_PORT}), timeout=2)

        def test_migrations_applied():
            urllib.request.urlopen("http://127.0.0.1:{DB_PORT}/health", timeout=2)
        """,
    "tests/test_reports.py": f"""
        import socket

        def test_report_export():
            socket.create_connection(("127.0.0.1", {DB_PORT}), timeout=2)

        def test_report_schedule():
            socket.create_connection(("127.0.0.1", {DB_PORT}), timeout=2)
        """,
    "tests/test_cache.py": f"""
        import urllib.request

        def test_cache_warm():
            urllib.request.urlopen("http://127.0.0.1:{CACHE_PORT}/warm", timeout=2)

        def test_cache_evict():
            urllib.request.urlopen("http://127.0.0.1:{CACHE_PORT}/evict", timeout=2)
        """,
    "tests/test_dns.py": """
        import socket, urllib.request

        def test_payment_gateway():
            socket.getaddrinfo("payments.invalid", 443)

        def test_webhook_target():
            socket.getaddrinfo("payments.invalid", 443)

        def test_gateway_http():
            urllib.request.urlopen("http://payments.invalid/", timeout=2)
        """,
    "tests/test_native.py": """
        import pytest
        from shop.native import run_native

        @pytest.mark.parametrize("n", [1, 2])
        def test_native_fast_path(n):
            run_native(n)

        def test_native_bulk():
            run_native(100)
        """,
    "tests/test_queue.py": """
        import pytest
        from shop.queue import wait_for_queue

        @pytest.mark.timeout(0.5)
        def test_orders_drain():
            wait_for_queue("orders")

        @pytest.mark.timeout(0.5)
        def test_mail_drain():
            wait_for_queue("mail")

        @pytest.mark.timeout(0.5)
        def test_audit_drain():
            wait_for_queue("audit")
        """,
    "tests/test_search_import.py": "import elasticsearch_client_xyz\n\ndef test_search():\n    pass\n",
    "tests/test_index_import.py": "import elasticsearch_client_xyz\n\ndef test_index():\n    pass\n",
}

NODE_FILES = {
    "src/discount.mjs": """
        export function discount(total, pct) {
          if (pct > 100) throw new RangeError(`bad pct ${pct}`);
          return total - total * pct / 100;
        }
        export function waitForever() { return new Promise(() => {}); }
        """,
    "test/discount.test.mjs": """
        import { test } from 'node:test';
        import assert from 'node:assert';
        import { discount } from '../src/discount.mjs';
        for (const p of [150, 200, 300]) test(`rejects ${p}`, () => { discount(10, p); });
        test('checkout applies discount', () => { discount(99, 101); });
        for (const [t, e] of [[10, 9], [20, 18], [50, 45]]) {
          test(`ten percent of ${t}`, () => { assert.strictEqual(discount(t, 11), e); });
        }
        test('zero stays zero', () => { assert.strictEqual(discount(0, 10), 1); });
        test('full discount', () => { assert.deepStrictEqual(discount(10, 100), { total: 0 }); });
        """,
    "test/api.test.mjs": f"""
        import {{ test }} from 'node:test';
        import net from 'node:net';
        import {{ waitForever }} from '../src/discount.mjs';
        function connect() {{
          return new Promise((resolve, reject) => {{
            const s = net.connect({NODE_PORT}, '127.0.0.1'); s.on('connect', resolve); s.on('error', reject);
          }});
        }}
        test('api lists products', async () => {{ await connect(); }});
        test('api creates order', async () => {{ await connect(); }});
        test('api health', async () => {{ await connect(); }});
        test('sync waits for the worker', {{ timeout: 200 }}, async () => {{ await waitForever(); }});
        test('sync waits for the mailer', {{ timeout: 200 }}, async () => {{ await waitForever(); }});
        """,
}

#: test name -> its true cause (labelled by hand: one label per change that fixes it)
CAUSES: dict[str, str] = {
    **{
        f"test_parse_negative[{t}]": "parse_price rejects negatives"
        for t in ["-1", "-2.5", "-100", "-0.01"]
    },
    "test_cart_total_uses_parse": "parse_price rejects negatives",
    "test_refund_parse": "parse_price rejects negatives",
    **{f"test_average_empty[values{i}]": "average of empty" for i in range(3)},
    **{f"test_format_user[{n}]": "format_user with no email" for n in range(1, 5)},
    "test_concat_mixed": "concat of mixed types",
    "test_concat_list": "concat of mixed types",
    **{f"test_total[items{i}-{e}]": "total off by one" for i, e in enumerate([3, 5, 0, 4])},
    "test_tax_rate": "tax rate assertion",
    "test_discount_label": "discount label assertion",
    "test_currency_symbol": "currency symbol assertion",
    "test_rounding_mode": "rounding assertion",
    "test_sorted_names": "sorted names assertion",
    **{f"test_load_retries[{r}]": "config requires timeout" for r in (1, 2, 3)},
    "test_load_defaults": "config requires timeout",
    "test_orders_query": "database down",
    "test_users_query": "database down",
    "test_migrations_applied": "database down",
    "test_report_export": "database down",
    "test_report_schedule": "database down",
    "test_cache_warm": "cache service down",
    "test_cache_evict": "cache service down",
    "test_payment_gateway": "payments host does not resolve",
    "test_webhook_target": "payments host does not resolve",
    "test_gateway_http": "payments host does not resolve",
    "test_native_fast_path[1]": "native extension segfaults",
    "test_native_fast_path[2]": "native extension segfaults",
    "test_native_bulk": "native extension segfaults",
    "test_orders_drain": "queue never drains",
    "test_mail_drain": "queue never drains",
    "test_audit_drain": "queue never drains",
    "tests.test_search_import": "search client not installed",
    "tests.test_index_import": "search client not installed",
    **{f"rejects {p}": "discount rejects > 100" for p in (150, 200, 300)},
    "checkout applies discount": "discount rejects > 100",
    **{f"ten percent of {t}": "discount maths" for t in (10, 20, 50)},
    "zero stays zero": "zero discount assertion",
    "full discount": "full discount shape",
    "api lists products": "api server down",
    "api creates order": "api server down",
    "api health": "api server down",
    "sync waits for the worker": "waitForever never resolves",
    "sync waits for the mailer": "waitForever never resolves",
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        py = Path(tmp) / "py"
        write(py, PY_FILES)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--continue-on-collection-errors",
                "--junitxml=junit.xml",
                "tests",
            ],
            cwd=py,
            capture_output=True,
            timeout=600,
            check=False,
        )
        # paths in the reports say where they were made; keep them as a CI machine would
        shutil.copy(py / "junit.xml", OUT / "pytest-junit.xml")
        node = Path(tmp) / "node"
        write(node, NODE_FILES)
        subprocess.run(
            [
                "node",
                "--test",
                "--test-reporter=junit",
                "--test-reporter-destination=junit.xml",
                "test/",
            ],
            cwd=node,
            capture_output=True,
            timeout=600,
            check=False,
        )
        shutil.copy(node / "junit.xml", OUT / "node-junit.xml")
    (OUT / "labels.json").write_text(json.dumps(CAUSES, indent=1, ensure_ascii=False) + "\n")
    print(f"corpus written to {OUT} ({len(CAUSES)} labelled failures)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
