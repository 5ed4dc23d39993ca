"""The pairing of this unit with its peer, as both sides agreed; in state_dir/ha/pair.json."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from orpheus import files

MASTER_PRIORITY = 150
SLAVE_PRIORITY = 100
DEFAULT_ADVERT_INTERVAL = 0.1
DEFAULT_ROUTER_ID = 51


@dataclass(frozen=True)
class PairSettings:
    node_id: str  # this unit's certificate fingerprint (sha256 hex)
    local_address: str  # this unit's own address on the interface
    peer_address: str
    peer_fingerprint: str  # the peer's certificate fingerprint, pinned at pairing
    vip: str  # CIDR, e.g. 10.0.0.100/24
    interface: str
    priority: int
    preferred_role: str  # "master" or "slave": who was set up as which
    nopreempt: bool = True
    advert_interval: float = DEFAULT_ADVERT_INTERVAL
    vrrp_version: int = 3
    virtual_router_id: int = DEFAULT_ROUTER_ID
    witness: str | None = None  # pinged to tell "peer gone" from "I am cut off"
    auth_pass: str = ""  # VRRPv2 only (VRRPv3 has no authentication)

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def load(path: Path) -> PairSettings | None:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return PairSettings(**raw)


def save(path: Path, settings: PairSettings) -> None:
    # 0644 as before (written by root with umask 022); it holds no secret of VRRPv3.
    text = json.dumps(settings.as_dict(), indent=2, sort_keys=True)
    files.write_file(path, text, mode=0o644)


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)
