"""Weak SIP passwords of extensions and trunks (zxcvbn, password_strength.py): stored, since
phones and carriers dictate some, but flagged: a `warnings` list in the change's answer and a
count in GET /api/v1/status (SIP accounts are brute-forced online for toll fraud)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from orpheus.password_strength import weakness

SIP_KINDS = {"extension": "number", "trunk": "name"}
Record = Mapping[str, Any]


def _related(record: Record) -> list[str]:
    return [str(record.get(name) or "") for name in ("number", "name", "username", "host")]


def warnings(kind: str, key: str | None, records: Iterable[Record]) -> list[str]:
    """One line per record of a SIP kind whose new password is weak (key: the changed one)."""
    key_field = SIP_KINDS.get(kind)
    if key_field is None:
        return []
    found = []
    for record in records:
        password = record.get("password")
        if not isinstance(password, str) or not password:
            continue
        reason = weakness(password, _related(record))
        if reason:
            found.append(f"{kind} {record.get(key_field, key)}: SIP password stored, but {reason}")
    return found


class WeakPasswordCount:
    """How many stored SIP passwords are weak; each password is scored once (cached by hash)."""

    def __init__(self, records: Callable[[str], Iterable[Record]]) -> None:
        self._records = records  # kind -> records with their secrets
        self._scored: dict[str, bool] = {}
        self._lock = threading.Lock()

    def __call__(self) -> int:
        weak = 0
        for kind in SIP_KINDS:
            for record in self._records(kind):
                password = record.get("password")
                if isinstance(password, str) and password and self._weak(password, record):
                    weak += 1
        return weak

    def _weak(self, password: str, record: Record) -> bool:
        related = _related(record)
        mark = hashlib.sha256("\0".join([password, *related]).encode()).hexdigest()
        with self._lock:
            known = self._scored.get(mark)
        if known is None:
            known = weakness(password, related) is not None
            with self._lock:
                if len(self._scored) > 10_000:
                    self._scored.clear()
                self._scored[mark] = known
        return known
