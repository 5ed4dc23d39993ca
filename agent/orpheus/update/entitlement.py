"""Until when updates are included: the licence, or until it is wired, a file on /data.

The file holds one ISO date (2027-03-31). No file means no limit is known, so nothing is
refused; an unreadable file is reported rather than guessed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from orpheus.jobs.model import Refusal


class EntitlementError(Refusal):
    """The date file cannot be read: an install is refused (with this line), not guessed."""


def read_support_until(path: Path) -> date | None:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise EntitlementError(f"{path}: not an ISO date: {text[:40]!r}") from error
