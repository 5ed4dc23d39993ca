"""`orpheus-factory batch`: several units at once, one thread per serial port.

Each port gets the serial on the same line of the serials file. A live table shows each unit's
step: redrawn in place on a terminal, one line per step change on a log. Each unit's run is
provision.provision, so a batch resumes exactly as single runs do.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from orpheus.factory.provision import RUNNING_STATE, Outcome, Report, Station, provision
from orpheus.factory.records import FAILED, RecordError, RecordStore
from orpheus.licensing.identity import SERIAL_PATTERN

REDRAW_SECONDS = 0.2
MAX_UNITS = 64


class BatchError(ValueError):
    """A batch refused before any unit is touched (one line)."""


def read_serials(path: Path) -> list[str]:
    """One serial a line; blank lines and '#' comments skipped; each valid, none twice."""
    try:
        text = path.read_text()
    except (OSError, UnicodeError) as error:
        raise BatchError(f"cannot read the serials file {path}: {error}") from error
    serials: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        if not SERIAL_PATTERN.fullmatch(value):
            raise BatchError(f"{path}:{number}: bad serial {value[:40]!r}")
        if value in serials:
            raise BatchError(f"{path}:{number}: serial {value} is listed twice")
        serials.append(value)
    return serials


def pair_up(ports: list[str], serials: list[str]) -> list[tuple[str, str]]:
    if not ports or len(ports) > MAX_UNITS:
        raise BatchError(f"give 1 to {MAX_UNITS} ports")
    if len(set(ports)) != len(ports):
        raise BatchError("a port is listed twice")
    if len(serials) != len(ports):
        raise BatchError(f"{len(ports)} ports but {len(serials)} serials: give one per port")
    return list(zip(ports, serials, strict=True))


@dataclass
class Row:
    port: str
    serial: str
    step: str = "waiting"
    state: str = ""
    detail: str = ""
    outcome: Outcome | None = None


class LiveTable:
    """The units' rows, updated from their threads and drawn from the main one."""

    def __init__(self, pairs: list[tuple[str, str]], out: TextIO) -> None:
        self.rows = [Row(port, serial) for port, serial in pairs]
        self.out = out
        self.live = out.isatty()
        self._lock = threading.Lock()
        self._drawn = 0

    def reporter(self, index: int) -> Report:
        def report(step: str, state: str, detail: str) -> None:
            with self._lock:
                row = self.rows[index]
                row.step, row.state, row.detail = step, state, detail
                if not self.live and state != RUNNING_STATE:
                    line = f"{row.port} {row.serial}: {step} {state} {detail}".rstrip()
                    self.out.write(line + "\n")
                    self.out.flush()

        return report

    def draw(self) -> None:
        if not self.live:
            return
        with self._lock:
            width = max(len(row.port) for row in self.rows)
            lines = [
                f"{row.port:<{width}}  {row.serial:<16} {row.step:<10} {row.state:<8} "
                f"{row.detail[:60]}"
                for row in self.rows
            ]
            up = f"\x1b[{self._drawn}F" if self._drawn else ""
            self.out.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
            self.out.flush()
            self._drawn = len(lines)


def run_batch(station: Station, pairs: list[tuple[str, str]], table: LiveTable) -> list[Outcome]:
    def work(index: int, port: str, serial_number: str) -> None:
        outcome = provision(station, port, serial_number, table.reporter(index))
        table.rows[index].outcome = outcome

    threads = [
        threading.Thread(target=work, args=(i, port, serial), name=f"unit-{serial}", daemon=True)
        for i, (port, serial) in enumerate(pairs)
    ]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        table.draw()
        time.sleep(REDRAW_SECONDS)
    table.draw()
    return [
        row.outcome or Outcome(row.serial, row.port, FAILED, "the unit's run ended early", 0, 0, 0)
        for row in table.rows
    ]


def check_records(store: RecordStore, pairs: list[tuple[str, str]]) -> None:
    """Every unit's record readable before threads start: one bad file refuses the batch."""
    for _port, serial_number in pairs:
        try:
            store.load(serial_number)
        except RecordError as error:
            raise BatchError(str(error)) from error


def summary(outcomes: list[Outcome], seconds: float) -> list[str]:
    lines = [f"{o.serial} on {o.port}: {o.result}: {o.detail}" for o in outcomes]
    failed = sum(1 for o in outcomes if o.result == FAILED)
    lines.append(
        f"{len(outcomes) - failed} of {len(outcomes)} units sealed or done, {failed} failed, "
        f"in {seconds:.1f} s"
    )
    return lines
