"""https/store.py: the pair and its origin change together or not at all."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from orpheus.diagnostics.collect import config_files
from orpheus.https.store import INSTALLED, UNIT, CertificateFiles, Origin
from testbed.tls_certs import make_pair


def test_written_with_modes_and_read_back(tmp_path: Path) -> None:
    files = CertificateFiles(tmp_path / "tls")
    pair = make_pair()
    assert files.origin() is None
    assert (
        files.replace(pair.key_pem, pair.cert_pem, Origin(UNIT, "t0", serial="S"), lambda: 7) == 7
    )
    assert stat.S_IMODE(files.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.cert_file.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    assert files.origin() == Origin(UNIT, "t0", serial="S")
    assert files.certificate() == pair.cert


def test_a_failing_step_puts_the_previous_pair_back(tmp_path: Path) -> None:
    files = CertificateFiles(tmp_path)
    first, second = make_pair("first"), make_pair("second")
    files.replace(first.key_pem, first.cert_pem, Origin(UNIT, "t0"), lambda: None)

    def refuse() -> None:
        assert files.certificate() == second.cert  # in place while the step runs
        raise RuntimeError("audit log full")

    with pytest.raises(RuntimeError):
        files.replace(second.key_pem, second.cert_pem, Origin(INSTALLED, "t1", by="a"), refuse)
    assert files.certificate() == first.cert
    assert files.key_file.read_bytes() == first.key_pem
    assert files.origin() == Origin(UNIT, "t0")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["origin.json", "server.crt", "server.key"]


def test_an_unreadable_origin_is_none(tmp_path: Path) -> None:
    files = CertificateFiles(tmp_path)
    files.origin_file.write_text("{not json")
    assert files.origin() is None
    files.origin_file.write_text('{"kind": "unit"}')
    assert files.origin() is None


def test_the_system_report_leaves_the_key_out(tmp_path: Path) -> None:
    files = CertificateFiles(tmp_path / "orpheus/tls")
    pair = make_pair()
    files.replace(pair.key_pem, pair.cert_pem, Origin(UNIT, "t0"), lambda: None)
    assert config_files([tmp_path / "orpheus"]) == [files.origin_file]
