"""TLS contexts for pair traffic: both sides present their certificate and pin the peer's."""

from __future__ import annotations

import ssl
from pathlib import Path

from orpheus.ha.identity import Identity
from orpheus.tls import contexts


def server_context(identity: Identity, peer_cert: Path | None) -> ssl.SSLContext:
    """With a paired peer, only its certificate is accepted; unpaired, no client cert is asked."""
    context = contexts.server_context(
        identity.cert_file, identity.key_file, minimum=ssl.TLSVersion.TLSv1_3
    )
    if peer_cert is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(peer_cert))
    return context


def client_context(identity: Identity, peer_cert: Path | None) -> ssl.SSLContext:
    """Pins the peer's certificate; without one (pairing) the code authenticates the peer."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.load_cert_chain(identity.cert_file, identity.key_file)
    if peer_cert is None:
        context.verify_mode = ssl.CERT_NONE
    else:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(peer_cert))
    return context
