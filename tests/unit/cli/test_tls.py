"""orpheusctl tls (orpheus.cli.tls): the certificate's table, and installing two files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orpheus.cli import main as cli_main
from orpheus.cli.client import AgentError

from .fake_client import FakeAgentClient, install

FINGERPRINT = ":".join(["0F"] * 32)
ANSWER: dict[str, Any] = {
    "origin": "unit", "installed_at": "2026-12-02T10:00:00+00:00", "installed_by": None,
    "https_port": 443,
    "certificate": {
        "fingerprint_sha256": FINGERPRINT, "subject": "CN=ORP-1", "issuer": "CN=ORP-1",
        "self_signed": True, "not_before": "2026-12-01T10:00:00+00:00",
        "not_after": "2126-11-07T10:00:00+00:00", "dns_names": ["ORP-1", "orpheus"],
        "ip_addresses": ["192.0.2.1"], "key_type": "ECDSA P-256",
    },
}  # fmt: skip


def test_show(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    install(monkeypatch, FakeAgentClient({("GET", "/api/v1/tls"): ANSWER}))
    assert cli_main.main(["tls", "show"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Fingerprint  SHA-256 {FINGERPRINT}",
        "Origin       the unit's own (self-signed)",
        "Subject      CN=ORP-1",
        "Issuer       CN=ORP-1",
        "Names        ORP-1, orpheus, 192.0.2.1",
        "Key          ECDSA P-256",
        "Valid        2026-12-01T10:00:00+00:00 to 2126-11-07T10:00:00+00:00",
        "Port         443",
    ]


def test_install_sends_both_files(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "c.pem").write_text("CERT")
    (tmp_path / "k.pem").write_text("KEY")
    client = install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/tls"): ANSWER}))
    assert cli_main.main(["tls", "install", str(tmp_path / "c.pem"), str(tmp_path / "k.pem")]) == 0
    assert client.requests == [("PUT", "/api/v1/tls", {"certificate": "CERT", "key": "KEY"})]
    assert capsys.readouterr().out == (
        f"certificate installed, served to new connections now: SHA-256 {FINGERPRINT}\n"
    )


def test_a_missing_file_or_a_refusal_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "k.pem").write_text("KEY")
    client = install(monkeypatch, FakeAgentClient())
    assert cli_main.main(["tls", "install", str(tmp_path / "no.pem"), str(tmp_path / "k.pem")]) == 1
    assert capsys.readouterr().err.startswith("orpheusctl: cannot read certificate ")
    assert client.requests == []
    (tmp_path / "c.pem").write_text("CERT")
    refusal = AgentError("certificate refused: key: does not match the certificate")
    install(monkeypatch, FakeAgentClient({("PUT", "/api/v1/tls"): refusal}))
    assert cli_main.main(["tls", "install", str(tmp_path / "c.pem"), str(tmp_path / "k.pem")]) == 1
    assert capsys.readouterr().err == (
        "orpheusctl: certificate refused: key: does not match the certificate\n"
    )
