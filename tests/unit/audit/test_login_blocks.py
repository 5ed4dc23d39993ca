"""Blocked addresses in the audit log (audit/login_blocks.py)."""

from __future__ import annotations

from pathlib import Path

from orpheus.api.login_limit import Block, LoginLimiter
from orpheus.audit.log import AuditEntry, AuditLog
from orpheus.audit.login_blocks import block_recorder

ATTACKER = "203.0.113.9"


def test_a_block_is_one_audit_entry(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.sqlite")
    block_recorder(audit)(Block(ATTACKER, 5, 1.0))
    [entry] = audit.read()
    assert (entry["change"], entry["object"], entry["user"]) == (
        "admin.login-blocked", f"address {ATTACKER}", f"anonymous ({ATTACKER})",
    )  # fmt: skip
    assert entry["after"] == {"wrong_passwords": 5, "blocked_seconds": 1.0}


def test_a_block_holds_when_the_audit_log_cannot_be_written() -> None:
    class Broken:
        def append(self, entry: AuditEntry) -> None:
            raise OSError("disk I/O error")

    limit = LoginLimiter(clock=lambda: 1000.0, on_block=block_recorder(Broken()))
    for _ in range(5):
        limit.failed(ATTACKER)
    assert limit.retry_after(ATTACKER) == 1
