"""The masker (testgate.masking): which values are secrets, the token shapes, encoded forms,
and the stream masker that sees output in arbitrary pieces.

Token-shaped samples are made up at test time (no token-shaped text lives in the repository).
"""

from __future__ import annotations

import base64
import itertools
import pickle
import secrets
import string
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testgate.masking import MASK, Masker, looks_secret

_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _stream(masker: Masker, chunks: list[bytes]) -> bytes:
    out: list[bytes] = []
    s = masker.stream(out.append)
    for c in chunks:
        s.feed(c)
    s.close()
    return b"".join(out)


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "DB_PASSWORD",
        "ldap_passwd",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "OPENAI_API_KEY",
        "STRIPE_APIKEY",
        "SIGNING_KEY",
        "NPM_TOKEN",
        "GPG_PASSPHRASE",
    ],
)
def test_names_that_look_secret(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize(
    "name", ["HOME", "PATH", "KEYBOARD", "MONKEY_COUNT", "TOKENIZERS_PARALLELISM", "CI"]
)
def test_names_that_do_not(name: str) -> None:
    assert not looks_secret(name)


def test_short_and_boolean_values_are_not_masked() -> None:
    m = Masker.build(
        [{"A_TOKEN": "abc", "B_SECRET": "false", "C_KEY": "on", "D_PASSWORD": "hunter22"}],
        shapes=False,
    )
    assert m.mask("abc false on hunter22") == f"abc false on {MASK}"


def test_configured_names_and_exclusions() -> None:
    env = {"DEPLOY_HOOK": "hook-value-1", "SORT_KEY": "lastname", "HOME": "/home/me"}
    m = Masker.build([env], names=["DEPLOY_*"], exclude=["SORT_KEY"], shapes=False)
    assert m.mask("hook-value-1 by lastname in /home/me") == f"{MASK} by lastname in /home/me"


def test_every_environment_counts() -> None:
    m = Masker.build([{"A_TOKEN": "from-process"}, {"B_TOKEN": "from-a-step"}], shapes=False)
    assert m.mask("from-process from-a-step") == f"{MASK} {MASK}"


def test_a_multi_line_value_is_masked_line_by_line() -> None:
    m = Masker.build([{"CERT_KEY": "line-one-xyz\nline-two-xyz\n"}], shapes=False)
    assert m.mask("a line-two-xyz b line-one-xyz") == f"a {MASK} b {MASK}"


@pytest.mark.parametrize("prefix", ["", "u:", "us:", "user:", "x-access-token:"])
def test_base64_forms_at_any_alignment(prefix: str) -> None:
    value = "s3cr3t-" + _rand(20)
    m = Masker.build([{"GITHUB_TOKEN": value}], shapes=False)
    encoded = base64.b64encode((prefix + value).encode()).decode()
    masked = m.mask(f"Authorization: Basic {encoded}")
    assert MASK in masked
    # what is left of the encoded text cannot hold the secret: at most a few edge characters
    assert len(masked.replace(MASK, "")) < len("Authorization: Basic ") + len(prefix) * 2 + 6


def test_url_encoded_form() -> None:
    value = "p@ss w/rd:" + _rand(10)
    m = Masker.build([{"DB_PASSWORD": value}], shapes=False)
    assert m.mask("?password=" + urllib.parse.quote(value, safe="")) == f"?password={MASK}"
    assert m.mask("?password=" + urllib.parse.quote_plus(value)) == f"?password={MASK}"


def _shape_samples() -> dict[str, str]:
    return {
        "github": "ghp_" + _rand(36),
        "github-oauth": "gho_" + _rand(36),
        "github-app": "ghs_" + _rand(36),
        "github-fine-grained": "github_pat_" + _rand(22) + "_" + _rand(59),
        "gitlab": "glpat-" + _rand(20),
        "aws-access-key-id": "AKIA" + _rand(16, string.ascii_uppercase + string.digits),
        "slack": "xoxb-" + _rand(12, string.digits) + "-" + _rand(24),
        "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJ" + _rand(40) + "." + _rand(43),
        "stripe": "sk_live_" + _rand(24),
        "google-api-key": "AIza" + _rand(35),
        "npm": "npm_" + _rand(36),
        "sendgrid": "SG." + _rand(22) + "." + _rand(43),
        "pypi": "pypi-AgEIcHlwaS5vcmc" + _rand(60),
        "openai": "sk-proj-" + _rand(20) + "T3BlbkFJ" + _rand(20),
    }


@pytest.mark.parametrize("kind", sorted(_shape_samples()))
def test_token_shapes(kind: str) -> None:
    token = _shape_samples()[kind]
    m = Masker()
    assert m.mask(f"token={token} next") == f"token={MASK} next"
    assert m.mask(f'"{token}"') == f'"{MASK}"'


def test_shapes_that_keep_their_context() -> None:
    m = Masker()
    bearer = _rand(32, _ALNUM + "-._")
    assert m.mask(f"Authorization: Bearer {bearer}") == f"Authorization: Bearer {MASK}"
    assert m.mask("postgresql://app:pw-" + _rand(8) + "@db:5432/x") == (
        f"postgresql://{MASK}@db:5432/x"
    )
    hook = f"https://hooks.slack.com/services/T{_rand(8)}/B{_rand(8)}/{_rand(24)}"
    assert m.mask(hook) == f"https://{MASK}"
    basic = base64.b64encode(b"user:" + _rand(12).encode()).decode()
    assert m.mask(f"authorization: basic {basic}") == f"authorization: basic {MASK}"
    azure = "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + _rand(86) + "=="
    assert m.mask(azure + ";EndpointSuffix=core") == (
        f"DefaultEndpointsProtocol=https;AccountName=x;AccountKey={MASK};EndpointSuffix=core"
    )


def test_a_private_key_block_is_masked_whole() -> None:
    body = "\n".join(_rand(64) for _ in range(4))
    text = (
        f"key:\n-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\nok"
    )
    assert Masker().mask(text) == f"key:\n{MASK}\nok"
    # a block cut short (a truncated trace) is masked to the end
    assert Masker().mask("-----BEGIN PRIVATE KEY-----\n" + body[:100]) == MASK


@pytest.mark.parametrize(
    "text",
    [
        "tests/test_api.py::test_login[ghp_short] FAILED",
        "commit 3f2a9c1e0b6d4f8a7c5e2d1b0a9f8e7d6c5b4a39 on main",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "the bearer of bad news",
        "see https://example.com/docs and http://localhost:8080/x",
        "AKIA is a prefix; AKIAshort is not a key",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Masker().mask(text) == text


def test_no_secrets_no_shapes_is_inactive() -> None:
    m = Masker.build([{"HOME": "/root"}], shapes=False)
    assert not m.active
    assert m.mask("anything") == "anything"


def test_patterns_from_the_configuration() -> None:
    m = Masker(patterns=("acme_[0-9a-f]{32}",), shapes=False)
    assert m.mask("k=acme_" + "0f" * 16 + ";") == f"k={MASK};"


def test_a_masker_survives_pickling() -> None:
    """A remote executor (Dask) carries the masker to its workers."""
    m = Masker.build([{"X_TOKEN": "value-123"}], patterns=("zz[0-9]+",))
    m2 = pickle.loads(pickle.dumps(m))
    assert m2.mask("value-123 zz12 ghp_" + "a" * 36) == f"{MASK} {MASK} {MASK}"


_SECRET = "Sup3r-s3cret-" + "q" * 12


@given(
    st.lists(
        st.sampled_from(["log line ", _SECRET, "\n", "é", "\r", " ", "x" * 5, "ghp_" + "A" * 36]),
        max_size=30,
    ),
    st.lists(st.integers(min_value=0, max_value=400), max_size=10),
)
def test_the_stream_masks_as_if_it_saw_everything_at_once(
    pieces: list[str], cuts: list[int]
) -> None:
    """However the output is cut into writes, the log gets what masking it whole would give."""
    m = Masker.build([{"APP_SECRET": _SECRET}])
    data = "".join(pieces).encode()
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    assert _stream(m, chunks) == m.mask(data.decode()).encode()


def test_the_stream_masks_a_secret_split_at_every_byte() -> None:
    m = Masker.build([{"APP_SECRET": _SECRET}])
    line = f"token {_SECRET} ok\n".encode()
    for i in range(1, len(line)):
        assert _stream(m, [line[:i], line[i:]]) == f"token {MASK} ok\n".encode()


def test_the_stream_masks_a_private_key_across_chunks() -> None:
    body = [_rand(64) for _ in range(3)]
    chunks = [
        b"before\n-----BEGIN RSA PRIVATE KEY-----\n",
        (body[0] + "\n").encode(),
        (body[1] + "\n" + body[2] + "\n-----END RSA").encode(),
        b" PRIVATE KEY-----\nafter\n",
    ]
    out = _stream(Masker(), chunks).decode()
    assert not any(b in out for b in body)
    assert out.startswith("before\n")
    assert out.endswith("after\n")


def test_bytes_that_are_not_utf8_pass_through() -> None:
    data = b"\xff\xfe binary \x80 ok\n"
    assert _stream(Masker(), [data[:5], data[5:]]) == data


def test_a_line_without_end_is_bounded_and_still_masked() -> None:
    """A step that prints megabytes without a newline: written as it comes, memory bounded,
    and a secret straddling the point where it is cut is masked whole."""
    m = Masker.build([{"APP_SECRET": _SECRET}])
    data = ("x" * 65530 + _SECRET + "y" * 70000).encode()
    out: list[bytes] = []
    s = m.stream(out.append)
    for i in range(0, len(data), 1000):
        s.feed(data[i : i + 1000])
    assert out  # written before the end
    s.close()
    assert b"".join(out) == ("x" * 65530 + MASK + "y" * 70000).encode()


def test_detect_secrets_agrees_the_samples_are_secrets() -> None:
    """Our samples are real shapes: detect-secrets' own plugins flag them too."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    samples = _shape_samples()
    with default_settings():
        for kind in ("github", "gitlab", "aws-access-key-id", "slack", "jwt", "stripe"):
            found = list(scan_line(f"value = '{samples[kind]}'"))
            assert found, kind


@pytest.mark.parametrize("kind", ["literal", "shape"])
def test_a_secret_straddling_the_cut_of_an_endless_line_is_masked(kind: str) -> None:
    """Fed in 1000-byte writes, a line without end is first cut at 66000 - 4096 = 61904 bytes:
    a secret across that point is kept back whole."""
    m = Masker.build([{"APP_SECRET": _SECRET}])
    secret = _SECRET if kind == "literal" else "ghp_" + _rand(36)
    for start in range(61904 - len(secret) + 1, 61904, 4):
        data = ("a " * 40000)[: start - 1] + " " + secret + " " + "b " * 40000
        raw = data.encode()
        out = _stream(m, [raw[i : i + 1000] for i in range(0, len(raw), 1000)])
        assert out == m.mask(data).encode()
        assert secret.encode() not in out
