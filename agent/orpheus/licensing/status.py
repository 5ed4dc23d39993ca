"""The licence's status as one typed object: GET /api/v1/license serialises it, SNMP reads it.

The PBX usage comes in through a callable (UsageSource) that bootstrap passes: licensing does
not import the PBX, which depends on licensing.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass

from orpheus.licensing.tiers import Limits


@dataclass(frozen=True)
class Usage:
    """What the PBX uses of each limited figure; concurrent_calls None: Asterisk not running."""

    concurrent_calls: int | None
    extensions: int
    trunks: int
    ivr_levels: int
    queues: int
    call_recording: bool
    balancer: int
    remote_extensions: int
    callcenter: int

    def to_dict(self) -> dict[str, int | bool | None]:
        return dataclasses.asdict(self)


UsageSource = Callable[[], Usage]


@dataclass(frozen=True)
class Binding:
    serial: str
    fingerprint: str | None


@dataclass(frozen=True)
class LicenceStatus:
    tier: str
    board: str
    source: str  # "board" (its base tier) or "license"
    license_id: str | None
    alarm: str | None
    limits: Limits
    callcenter: bool
    usage: Usage
    addons: tuple[str, ...]
    accepted_addons: tuple[str, ...]
    update_support_until: datetime.date | None
    update_support_days_left: int | None
    bound_to: Binding | None

    def to_dict(self) -> dict[str, object]:
        """The JSON of GET /api/v1/license (documented in licensing/feature.py)."""
        limits = self.limits
        return {
            "tier": self.tier,
            "tier_title": limits.title,
            "board": self.board,
            "source": self.source,
            "license_id": self.license_id,
            "alarm": self.alarm,
            "limits": {
                "concurrent_calls": limits.concurrent_calls,
                "external_calls_only": limits.external_calls_only,
                "extensions": limits.extensions,
                "trunks": limits.trunks,
                "ivr_levels": limits.ivr_levels,
                "queues": limits.queues,
                "call_recording": limits.call_recording,
                "balancer": limits.balancer,
                "high_availability": limits.high_availability,
                "remote_extensions": limits.remote_extensions,
                "callcenter": self.callcenter,
            },
            "usage": self.usage.to_dict(),
            "addons": list(self.addons),
            "accepted_addons": list(self.accepted_addons),
            "update_support_until": (
                self.update_support_until.isoformat() if self.update_support_until else None
            ),
            "update_support_days_left": self.update_support_days_left,
            "bound_to": dataclasses.asdict(self.bound_to) if self.bound_to else None,
        }
