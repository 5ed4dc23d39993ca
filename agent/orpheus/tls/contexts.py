"""The one way the agent builds a TLS server context from a certificate and key on disk."""

from __future__ import annotations

import ssl
from pathlib import Path


def server_context(
    cert_file: Path, key_file: Path, *, minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
) -> ssl.SSLContext:
    """No renegotiation (a client cannot make the server redo a handshake's work); the
    certificate file may hold a chain, leaf first. Raises ssl.SSLError or OSError."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = minimum
    context.options |= ssl.OP_NO_RENEGOTIATION
    context.load_cert_chain(cert_file, key_file)
    return context
