"""Extensions as CSV: the export of the list, and the rows of an import, each checked for its
shape here and then added through the API (which checks everything else), one report line per
row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

COLUMNS = ("number", "name", "password", "remote", "call_class")
EXPORTED = ("number", "name", "remote", "call_class")  # never the SIP password
REQUIRED = ("number", "password")
MAX_ROWS = 1000
# A cell a spreadsheet would run as a formula starts with one of these: exported quoted.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Row:
    line: int
    record: dict[str, Any] | None  # None: refused here, for error
    error: str = ""


def export(records: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORTED)
    for record in records:
        writer.writerow([_cell(record.get(column, "")) for column in EXPORTED])
    return out.getvalue()


def _cell(value: Any) -> str:
    text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def parse(text: str) -> Iterator[Row]:
    """The rows of an import; a header line names the columns (of COLUMNS, any order)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        yield Row(1, None, "empty file: the first line names the columns")
        return
    except csv.Error as error:
        yield Row(1, None, f"not CSV: {error}")
        return
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        problem = (
            f"unknown column(s) {', '.join(unknown)}"
            if unknown
            else f"missing column(s) {', '.join(missing)}"
            if missing
            else "a column named twice"
        )
        yield Row(1, None, f"header: {problem} (columns: {', '.join(COLUMNS)})")
        return
    yield from _rows(reader, header)


def _rows(reader: Any, header: list[str]) -> Iterator[Row]:
    count = 0
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Row(line, None, f"not CSV: {error}")
            return
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            yield Row(line, None, f"more than {MAX_ROWS} rows: the rest is not imported")
            return
        yield _row(line, header, cells)


def _row(line: int, header: list[str], cells: list[str]) -> Row:
    if len(cells) != len(header):
        return Row(line, None, f"{len(cells)} cells where the header names {len(header)}")
    record: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=True):
        value = cell.strip()
        if name == "remote":
            if value.lower() not in ("", "yes", "no", "true", "false", "1", "0"):
                return Row(line, None, f"remote: {value[:40]!r} is not yes or no")
            if value:
                record[name] = value.lower() in ("yes", "true", "1")
        elif value or name in REQUIRED:
            record[name] = value
    empty = [name for name in REQUIRED if not record.get(name)]
    if empty:
        return Row(line, None, f"{', '.join(empty)} is empty")
    return Row(line, record)
