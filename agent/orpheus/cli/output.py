"""Printing answers: JSON for scripts, aligned key/value lines for people."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from orpheus.cli.client import AgentError


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def print_table(rows: list[tuple[str, object]]) -> None:
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def human_bytes(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    raise AssertionError("unreachable")


@contextlib.contextmanager
def written_whole(output: Path) -> Iterator[BinaryIO]:
    """A file the download writes into: `<output>.part` until the whole arrived, then renamed,
    so a name never shows a partial file; the part removed on any failure. A file that cannot
    be written (read-only, full, no such folder) is one line (AgentError), not a traceback."""
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("wb") as out:
            yield out
        partial.replace(output)
    except OSError as error:
        raise AgentError(f"{output}: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(OSError):  # gone already, or never made (read-only)
            partial.unlink(missing_ok=True)
