"""Bounded SQL-injection and XSS probes against a local service.

For the URL given, each query parameter (or, without any, ``q``, ``id``, ``name`` and
``search``) is sent a few classic payloads, by GET and as a JSON POST body: a quote that breaks
a concatenated SQL string, a tautology, a script tag with a unique marker. An endpoint that
answers 5xx to them, shows a database error, or reflects the markup unescaped is a finding. The
number of requests is bounded (``max_requests``) and only loopback hosts are probed unless the
caller names another host: probing someone else's server is an attack.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from testgate.errors import UsageError
from testgate.model import Finding

__all__ = ["ProbeResult", "is_loopback_host", "probe"]

_SQL_PAYLOADS = ("'", "' OR '1'='1", '"', "1' AND 1=CAST('x' AS INT)--")
_SQL_ERRORS = re.compile(
    r"sqlite3?\.\w*Error|OperationalError|syntax error|SQL syntax|unterminated quoted string|"
    r"unrecognized token|SQLSTATE|psycopg|ORA-\d{5}|mysql_fetch|near \".*\": syntax|"
    r"quoted string not properly terminated|PG::SyntaxError",
    re.IGNORECASE,
)
_DEFAULT_PARAMS = ("q", "id", "name", "search")


@dataclass(slots=True)
class ProbeResult:
    url: str
    requests: int = 0
    findings: list[Finding] = field(default_factory=list)


def _reflected(payload: str, body: str) -> bool:
    """Whether the markup of *payload* came back as markup (its tag unescaped)."""
    return payload[payload.index("<") :] in body


def is_loopback_host(host: str) -> bool:
    """Whether every address *host* resolves to is a loopback address."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addrs = {str(i[4][0]) for i in infos}
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)


def probe(
    url: str,
    *,
    allow_hosts: tuple[str, ...] = (),
    max_requests: int = 60,
    timeout: float = 5.0,
    methods: tuple[str, ...] = ("GET", "POST"),
) -> ProbeResult:
    """Probe *url* (see the module docstring); raises :class:`UsageError` for a host that is
    neither loopback nor named in *allow_hosts*."""
    import httpx

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"probe: {url!r} is not an http:// or https:// URL")
    host = parts.hostname
    if host not in allow_hosts and not is_loopback_host(host):
        raise UsageError(
            f"probe: refusing to probe {host}: only loopback hosts (127.0.0.1, ::1, localhost) "
            "are probed unless --allow-host names the host (probe only servers you own)"
        )
    if max_requests < 1:
        raise UsageError(f"probe: --max-requests must be at least 1, got {max_requests}")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    params = list(query) or list(_DEFAULT_PARAMS)
    result = ProbeResult(url)
    reported: set[tuple[str, str, str]] = set()
    marker = f"tg{secrets.token_hex(4)}"
    xss = (f"<script>{marker}</script>", f'"><img src=x onerror={marker}>')

    def add(rule: str, severity: str, param: str, method: str, message: str) -> None:
        key = (rule, param, method)
        if key not in reported:
            reported.add(key)
            result.findings.append(
                Finding(
                    "testgate-probe",
                    rule,
                    severity,
                    message,
                    category="vulnerability",
                    path=parts.path or "/",
                )
            )

    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for param in params:
            for payload in (*_SQL_PAYLOADS, *xss):
                for method in methods:
                    if result.requests >= max_requests:
                        return result
                    values = {**query, param: payload}
                    try:
                        if method == "GET":
                            target = urlunsplit(parts._replace(query=urlencode(values)))
                            resp = client.get(target)
                        else:
                            resp = client.post(urlunsplit(parts._replace(query="")), json=values)
                    except httpx.HTTPError as exc:
                        result.requests += 1
                        add(
                            "unreachable",
                            "info",
                            param,
                            method,
                            f"{method} {parts.path or '/'}: no answer ({type(exc).__name__})",
                        )
                        continue
                    result.requests += 1
                    body = resp.text[:200_000]
                    where = f"{method} {parts.path or '/'} parameter {param!r}"
                    if payload in _SQL_PAYLOADS:
                        if _SQL_ERRORS.search(body):
                            add(
                                "sql-injection",
                                "high",
                                param,
                                method,
                                f"{where}: a quote in the input produced a database error "
                                f"(HTTP {resp.status_code}); the input reaches SQL unescaped",
                            )
                        elif resp.status_code >= 500:
                            add(
                                "sql-injection-suspect",
                                "medium",
                                param,
                                method,
                                f"{where}: answered HTTP {resp.status_code} to {payload!r}; "
                                "check how the input reaches the database",
                            )
                    elif _reflected(payload, body):
                        add(
                            "xss-reflected",
                            "high",
                            param,
                            method,
                            f"{where}: the markup sent was reflected unescaped (HTTP "
                            f"{resp.status_code}); escape output",
                        )
                    elif resp.status_code >= 500:
                        add(
                            "server-error",
                            "medium",
                            param,
                            method,
                            f"{where}: answered HTTP {resp.status_code} to markup in the input",
                        )
    return result
