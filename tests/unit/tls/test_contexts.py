"""tls/contexts.py: the server context the HTTPS server and the HA channel are built on."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from orpheus.tls.contexts import server_context
from orpheus.tls.self_signed import make_self_signed


def test_the_server_context_takes_tls_12_up_and_no_renegotiation(tmp_path: Path) -> None:
    made = make_self_signed("t")
    (tmp_path / "c").write_bytes(made.cert_pem)
    (tmp_path / "k").write_bytes(made.key_pem)
    context = server_context(tmp_path / "c", tmp_path / "k")
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.options & ssl.OP_NO_RENEGOTIATION
    strict = server_context(tmp_path / "c", tmp_path / "k", minimum=ssl.TLSVersion.TLSv1_3)
    assert strict.minimum_version == ssl.TLSVersion.TLSv1_3
    (tmp_path / "k").write_bytes(make_self_signed("other").key_pem)
    with pytest.raises(ssl.SSLError):
        server_context(tmp_path / "c", tmp_path / "k")
