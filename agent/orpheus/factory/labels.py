"""A printable label per sealed unit: <label dir>/<serial>.pdf, mode 0600 (it shows the password).

One page 62 mm wide (a label printer's continuous 62 mm tape), about 45 mm long, longer on
a board with many NICs: serial, board, every MAC (the first is the identity's), the admin
password for the first log-in (which must change it), the hardware fingerprint the licences
are bound to, the SHA-256 of the unit's identity key (the one fingerprint the station knows:
the HTTPS certificate is made on the unit), and a QR code of the serial and fingerprint
(`qr_payload`) for the licensing office's scanner. Made with reportlab (a station dependency,
never in the image): its QR widget and the PDF's standard Courier font, so nothing is
embedded and every value is plain text in the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from orpheus import files
from orpheus.factory.records import Record

WIDTH, MIN_HEIGHT, MARGIN = 62 * mm, 40 * mm, 2.5 * mm
QR_SIZE = 22 * mm  # with the widget's quiet zone: about 0.5 mm modules for ~150 characters
FONT, BOLD = "Courier", "Courier-Bold"
SIZE, MIN_SIZE = 6.5, 4.0  # points; a longer value is set smaller, never cut
LINE_HEIGHT = 2.6 * mm
HALF = 32  # a 64-digit hex value is set on two lines


@dataclass(frozen=True)
class Row:
    text: str
    bold: bool = False


def qr_payload(record: Record) -> str:
    """What the QR code holds: one line a scanner types, the fields named."""
    return f"ORPHEUS serial={record.serial} fingerprint={record.fingerprint or '-'}"


def label_rows(record: Record) -> tuple[list[Row], list[Row]]:
    """The short rows, set beside the QR code, and the long ones, set below it."""
    hardware = record.hardware or {}
    macs = [nic.get("mac") or "-" for nic in hardware.get("nics", [])]
    beside = [
        Row(f"Serial: {record.serial}", bold=True),
        Row(f"Board: {record.board}"),
        *(Row(f"MAC {index + 1}: {mac}") for index, mac in enumerate(macs)),
    ]
    below = [
        Row(f"Password: {record.admin_password or '-'}", bold=True),
        Row("Fingerprint:"),
        *_halves(record.fingerprint),
        Row("Key SHA-256:"),
        *_halves(record.key_sha256),
    ]
    return beside, below


def _halves(value: str | None) -> list[Row]:
    text = value or "-"
    return [Row(" " + text[:HALF]), *([Row(" " + text[HALF:])] if text[HALF:] else [])]


def _fitted_size(text: str, font: str, width: float) -> float:
    """The font size at which text fits width: SIZE, or smaller for a long value."""
    natural = float(stringWidth(text, font, SIZE))
    return SIZE if natural <= width else max(MIN_SIZE, SIZE * width / natural)


def _draw_rows(canvas: Canvas, rows: list[Row], top: float, right: float) -> None:
    for index, row in enumerate(rows):
        font = BOLD if row.bold else FONT
        canvas.setFont(font, _fitted_size(row.text, font, right - MARGIN))
        canvas.drawString(MARGIN, top - LINE_HEIGHT * (index + 1) + 0.6 * mm, row.text)


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float) -> None:
    widget = QrCodeWidget(payload)  # its bounds include the quiet zone scanners need
    left, bottom, right, top = widget.getBounds()
    scale = [QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0]
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=scale)
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def render_pdf(record: Record) -> bytes:
    beside, below = label_rows(record)
    head = max(QR_SIZE, LINE_HEIGHT * len(beside))  # many NICs: the label grows
    height = max(MIN_HEIGHT, 2 * MARGIN + head + LINE_HEIGHT * len(below))
    # Uncompressed, so the label's text can be read (and tested) as it is; invariant: the
    # same record makes the same bytes (no creation date or random id in the file).
    canvas = Canvas(None, pagesize=(WIDTH, height), pageCompression=0, invariant=1)
    canvas.setTitle(f"Orpheus {record.serial}")
    top = height - MARGIN
    qr_left = WIDTH - MARGIN - QR_SIZE
    _draw_qr(canvas, qr_payload(record), qr_left, top - QR_SIZE)
    _draw_rows(canvas, beside, top, qr_left - 1 * mm)
    _draw_rows(canvas, below, top - head, WIDTH - MARGIN)
    canvas.showPage()
    return bytes(canvas.getpdfdata())


def write_label(record: Record, label_dir: Path) -> Path:
    path = label_dir / f"{record.serial}.pdf"  # the serial was checked by the record store
    label_dir.mkdir(parents=True, exist_ok=True)
    files.write_file(path, render_pdf(record), mode=0o600)
    return path
