"""One HTTPS request pinned to a certificate's SHA-256 fingerprint (a unit's own certificate
is self-signed: the fingerprint an installer reads on the console is what is trusted).

    python -m testbed.pinned_https HOST PORT PATH [--fingerprint FP] [--method M] [--body JSON]

prints {"status", "headers", "body", "fingerprint"} as one JSON line (run inside a unit's
network namespace with `ip netns exec`). Without --fingerprint any certificate is taken and
its fingerprint reported.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import ssl
import sys
from dataclasses import asdict, dataclass
from typing import Any


class FingerprintMismatch(ssl.SSLError):
    pass


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: Any
    fingerprint: str


def fingerprint_of(der: bytes) -> str:
    return hashlib.sha256(der).digest().hex(":").upper()


def _context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the fingerprint is checked instead, before the request
    return context


def served_fingerprint(host: str, port: int, timeout: float = 30.0) -> str:
    """The fingerprint of the certificate a new connection is served."""
    connection = http.client.HTTPSConnection(host, port, context=_context(), timeout=timeout)
    try:
        connection.connect()
        return _peer(connection)
    finally:
        connection.close()


def _peer(connection: http.client.HTTPSConnection) -> str:
    sock: Any = connection.sock
    der = sock.getpeercert(binary_form=True)
    return fingerprint_of(der or b"")


def fetch(
    host: str,
    port: int,
    path: str,
    *,
    fingerprint: str | None = None,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Fetched:
    """Raises FingerprintMismatch, before anything is sent, when the served certificate is
    not the one pinned."""
    connection = http.client.HTTPSConnection(host, port, context=_context(), timeout=timeout)
    try:
        connection.connect()
        served = _peer(connection)
        if fingerprint is not None and served != fingerprint.upper():
            raise FingerprintMismatch(f"served certificate {served}, pinned {fingerprint}")
        kind = {"Content-Type": "application/json"} if body is not None else {}
        payload = None if body is None else json.dumps(body)
        connection.request(method, path, body=payload, headers={**kind, **(headers or {})})
        response = connection.getresponse()
        raw = response.read()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw.decode(errors="replace")
        return Fetched(response.status, dict(response.getheaders()), decoded, served)
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.pinned_https")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("--fingerprint")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", type=json.loads)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    fetched = fetch(
        args.host, args.port, args.path, fingerprint=args.fingerprint, method=args.method,
        body=args.body, timeout=args.timeout,
    )  # fmt: skip
    print(json.dumps(asdict(fetched)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
