"""A printable label per sealed unit: <label dir>/<serial>.svg, mode 0600.

SVG, text only: serial, board, every MAC, the hardware fingerprint the licences are bound to,
the SHA-256 of the unit's key, and the admin password for the first log-in (which must change
it). No QR code: no QR library is among the project's Debian-packaged dependencies. Every
value came over the serial line, so each is XML-escaped.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from orpheus import files
from orpheus.factory.records import Record

WIDTH, LINE_HEIGHT, MARGIN = 90, 5, 6  # millimetres: a 90 mm label, 2.6 mm text


def label_lines(record: Record) -> list[tuple[str, str]]:
    hardware = record.hardware or {}
    macs = [nic.get("mac") or "-" for nic in hardware.get("nics", [])]
    key = record.key_sha256 or ""
    return [
        ("Serial", record.serial),
        ("Board", record.board),
        *((f"MAC {index + 1}", mac) for index, mac in enumerate(macs)),
        ("Fingerprint", record.fingerprint or "-"),
        ("Key SHA-256", key[:32]),
        ("", key[32:]),
        ("Admin password", record.admin_password or "-"),
    ]


def render_svg(record: Record) -> str:
    lines = label_lines(record)
    height = MARGIN * 2 + LINE_HEIGHT * len(lines)
    text = [
        f'  <text x="{MARGIN}" y="{MARGIN + LINE_HEIGHT * (row + 1)}">'
        f"{escape(name)}{': ' if name else ''}{escape(value)}</text>"
        for row, (name, value) in enumerate(lines)
    ]
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}mm" height="{height}mm" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="monospace" '
            'font-size="3.2">',
            *text,
            "</svg>",
            "",
        ]
    )


def write_label(record: Record, label_dir: Path) -> Path:
    path = label_dir / f"{record.serial}.svg"  # the serial was checked by the record store
    label_dir.mkdir(parents=True, exist_ok=True)
    files.write_file(path, render_svg(record), mode=0o600)
    return path
