"""VRRP values both sides of a pairing check the same way: the Master its admin's request, the
Slave the Master's offer (keepalived would refuse them, or the Slave would outrank its Master)."""

from __future__ import annotations

from orpheus.api.app import ApiError
from orpheus.ha import pair


def check_priority(priority: int) -> None:
    """ApiError 400 unless priority is above the Slave's and valid for VRRP."""
    if not pair.SLAVE_PRIORITY < priority <= 254:
        raise ApiError(
            400, f"priority {priority} must be between {pair.SLAVE_PRIORITY + 1} and 254"
        )


def check_advert(advert: float, version: int) -> None:
    """ApiError 400 for a VRRP version or advert interval keepalived would not take."""
    if (
        version not in (2, 3)
        or (version == 2 and advert != int(advert))
        or not 0.01 <= advert <= 255
    ):
        raise ApiError(400, f"advert interval {advert:g} s does not fit VRRPv{version}")
