"""labels.py: the unit's PDF label, its text and its QR code's payload."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest

from orpheus.factory import labels
from orpheus.factory.records import SEALED, Record

FINGERPRINT, KEY = "ab12" * 8, "cd34" * 16  # a hardware digest is 32 hex digits
MACS = ("52:54:00:12:34:56", "52:54:00:12:34:57")


def sealed_record(nics: int = 2, serial: str = "ORP-MINI-0001") -> Record:
    macs = [*MACS, *(f"52:54:00:00:00:{i:02x}" for i in range(nics - len(MACS)))][:nics]
    return Record(
        serial, "mini", result=SEALED, key_sha256=KEY, admin_password="abcd-efgh-ijkm-nopq",
        hardware={"fingerprint": FINGERPRINT, "nics": [{"mac": mac} for mac in macs]},
    )  # fmt: skip


def page_size(pdf: bytes) -> tuple[float, float]:
    match = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", pdf)
    assert match, "no MediaBox"
    return float(match[1]), float(match[2])


def test_the_label_is_a_pdf_with_every_value_as_text(tmp_path: Path) -> None:
    path = labels.write_label(sealed_record(), tmp_path / "labels")
    assert path == tmp_path / "labels/ORP-MINI-0001.pdf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it shows the admin password
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    for text in ("Serial: ORP-MINI-0001", "Board: mini", f"MAC 1: {MACS[0]}", f"MAC 2: {MACS[1]}",
                 "Password: abcd-efgh-ijkm-nopq", FINGERPRINT,
                 KEY[:32], KEY[32:]):  # fmt: skip
        assert f"({text}".encode() in pdf or f"( {text})".encode() in pdf, text
    width, height = page_size(pdf)
    assert round(width / labels.mm) == 62 and 40 <= height / labels.mm <= 50
    assert labels.render_pdf(sealed_record()) == pdf  # the same record, the same bytes


def test_the_qr_code_holds_the_serial_and_the_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    assert labels.qr_payload(sealed_record()) == (
        f"ORPHEUS serial=ORP-MINI-0001 fingerprint={FINGERPRINT}"
    )
    drawn: list[str] = []
    real = labels.QrCodeWidget

    def widget(value: str, **options: Any) -> Any:
        drawn.append(value)
        return real(value, **options)

    monkeypatch.setattr(labels, "QrCodeWidget", widget)
    labels.render_pdf(sealed_record())
    assert drawn == [labels.qr_payload(sealed_record())]


def test_many_nics_lengthen_the_label_and_a_long_serial_is_set_smaller() -> None:
    _, usual = page_size(labels.render_pdf(sealed_record()))
    _, longer = page_size(labels.render_pdf(sealed_record(nics=12)))
    assert longer > usual
    assert labels._fitted_size("x" * 10, labels.FONT, 30 * labels.mm) == labels.SIZE
    small = labels._fitted_size("Serial: " + "S" * 64, labels.BOLD, 30 * labels.mm)
    assert labels.MIN_SIZE <= small < labels.SIZE


def test_a_record_without_hardware_still_gets_a_label() -> None:
    record = Record("ORP-MINI-0002", "mini")
    assert b"(Password: -)" in labels.render_pdf(record)
    assert labels.qr_payload(record) == "ORPHEUS serial=ORP-MINI-0002 fingerprint=-"
