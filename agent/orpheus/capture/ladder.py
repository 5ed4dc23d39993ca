"""A dialog's ladder diagram as SVG: one column per endpoint (address:port), one arrow per
message, top to bottom in time, labelled with the method or status and the time offset.

Every text in it came off the wire: it is XML-escaped (quotes too, for attributes) and cut,
and no value ever becomes an element or attribute name, a URL, a style or a script.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from orpheus.capture.dialogs import Dialog

COLUMN = 220
ROW = 36
TOP = 70
MARGIN = 40
MAX_COLUMNS = 8  # more endpoints than this share the last column
MAX_LABEL = 48
_ENTITIES = {'"': "&quot;", "'": "&#x27;"}


def text(value: str, limit: int = MAX_LABEL) -> str:
    """A wire value as SVG text: cut to limit characters, then escaped."""
    cut = value if len(value) <= limit else value[: limit - 1] + "\u2026"
    return escape(cut, _ENTITIES)


def render(dialog: Dialog) -> str:
    columns = _columns(dialog)
    width = MARGIN * 2 + COLUMN * max(1, len(columns) - 1) + 160
    height = TOP + ROW * (len(dialog.messages) + 1) + MARGIN
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">',
        f"<title>{text('SIP dialog ' + dialog.call_id, 200)}</title>",
        f'<text x="{MARGIN}" y="20">{text(dialog.from_, 80)} \u2192 {text(dialog.to, 80)}</text>',
    ]
    for index, endpoint in enumerate(columns):
        x = _x(index)
        parts.append(f'<text x="{x}" y="{TOP - 20}" text-anchor="middle">{text(endpoint)}</text>')
        parts.append(
            f'<line x1="{x}" y1="{TOP - 10}" x2="{x}" y2="{height - MARGIN}" stroke="#999"/>'
        )
    for row, message in enumerate(dialog.messages, start=1):
        parts.extend(_arrow(row, message.time - dialog.start, message.label,
                            _x(columns.index(_column(columns, message.source))),
                            _x(columns.index(_column(columns, message.destination)))))  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _columns(dialog: Dialog) -> list[str]:
    seen: list[str] = []
    for message in dialog.messages:
        for endpoint in (message.source, message.destination):
            if endpoint not in seen and len(seen) < MAX_COLUMNS:
                seen.append(endpoint)
    return seen or ["?"]


def _column(columns: list[str], endpoint: str) -> str:
    return endpoint if endpoint in columns else columns[-1]


def _x(index: int) -> int:
    return MARGIN + 80 + index * COLUMN


def _arrow(row: int, offset: float, label: str, x1: int, x2: int) -> list[str]:
    y = TOP + row * ROW
    head = -8 if x2 >= x1 else 8
    middle = (x1 + x2) // 2 if x1 != x2 else x1 + 40
    return [
        f'<text x="{MARGIN - 30}" y="{y + 4}">{offset:8.3f}</text>',
        f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="#000"/>',
        f'<polyline points="{x2 + head},{y - 4} {x2},{y} {x2 + head},{y + 4}" '
        'fill="none" stroke="#000"/>',
        f'<text x="{middle}" y="{y - 5}" text-anchor="middle">{text(label)}</text>',
    ]
