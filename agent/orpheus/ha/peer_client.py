"""The pair channel's client: HTTPS requests to the peer's sync port over mutual TLS."""

from __future__ import annotations

import hashlib
import http.client
import json
import ssl
from typing import Any


class PeerUnreachable(OSError):
    """The peer did not answer (down, cut off, or refused our certificate)."""


class PeerImpostor(PeerUnreachable):
    """The peer's certificate is not the one pinned: nothing was sent to it."""

    def __init__(self, expected: str, presented: str) -> None:
        super().__init__(
            f"the peer presented certificate fingerprint {presented}, not {expected}: "
            "nothing was sent to it"
        )
        self.expected = expected
        self.presented = presented


class PeerRefused(RuntimeError):
    """The peer answered with an error; the message is the peer's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def request(
    address: str,
    port: int,
    context: ssl.SSLContext,
    method: str,
    path: str,
    body: Any = None,
    timeout: float = 2.0,
    fingerprint: str | None = None,
) -> tuple[dict[str, Any], bytes | None]:
    """The peer's JSON answer and the DER certificate it presented. With fingerprint (the
    SHA-256 `ha join` showed), a peer whose certificate differs is sent nothing."""
    connection = http.client.HTTPSConnection(address, port, context=context, timeout=timeout)
    payload = None if body is None else json.dumps(body)
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    try:
        connection.connect()
        cert = connection.sock.getpeercert(binary_form=True)
        presented = hashlib.sha256(cert).hexdigest() if cert else "(none)"
        if fingerprint is not None and presented != fingerprint:
            raise PeerImpostor(fingerprint, presented)
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    except PeerImpostor:
        raise
    except (OSError, http.client.HTTPException) as error:
        raise PeerUnreachable(f"peer {address}:{port}: {error}") from error
    finally:
        connection.close()
    try:
        data = json.loads(raw or b"{}")
    except ValueError as error:
        raise PeerRefused(response.status, f"peer answered non-JSON: {raw[:80]!r}") from error
    if response.status >= 400:
        raise PeerRefused(response.status, str(data.get("error", f"HTTP {response.status}")))
    return data, cert
