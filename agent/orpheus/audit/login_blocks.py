"""Addresses blocked for wrong admin passwords (api/login_limit.py), in the audit log."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from orpheus.api.login_limit import Block
from orpheus.audit.log import AuditEntry, AuditSink

log = logging.getLogger(__name__)


def block_recorder(audit: AuditSink) -> Callable[[Block], None]:
    """on_block for the agent's limiter: one audit entry per blocked address."""

    def record(block: Block) -> None:
        entry = AuditEntry(
            "admin.login-blocked", f"address {block.address}", f"anonymous ({block.address})",
            None, {"wrong_passwords": block.wrong_passwords, "blocked_seconds": block.seconds},
        )  # fmt: skip
        try:
            audit.append(entry)
        except (OSError, sqlite3.Error) as error:  # the block holds even if it goes unrecorded
            log.error("could not audit the block of %s: %s", block.address, error)

    return record
