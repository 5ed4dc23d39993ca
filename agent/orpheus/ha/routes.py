"""The HA feature's API routes.

GET  /api/v1/ha          status (HaStatus, also read by SNMP)
GET  /api/v1/ha/check    for keepalived's track script: 200 when this node may be Master
POST /api/v1/ha/join     Slave: opens a pairing window (optional {"master": address}: only it
                         may pair), answers {"code", "fingerprint", ...}
POST /api/v1/ha/pair     Master: {"peer", "vip", "interface", "code", "peer_fingerprint",
                         optional "priority", "preempt", "advert_interval", "vrrp_version",
                         "witness"}
"""

from __future__ import annotations

from collections.abc import Callable

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.ha.join import SlavePairing
from orpheus.ha.pair import PairSettings
from orpheus.ha.pair_master import MasterPairing
from orpheus.ha.schemas import CHECK_ANSWER, HA_STATUS, JOIN_ANSWER, JOIN_REQUEST, PAIR_REQUEST
from orpheus.ha.status import HaStatus


class HaRoutes:
    def __init__(
        self,
        status: Callable[[], HaStatus],
        may_be_master: Callable[[], tuple[bool, str]],
        slave_pairing: SlavePairing,
        master_pairing: MasterPairing,
        release: Callable[[], PairSettings],
        audit: AuditSink | None = None,
    ) -> None:
        self._release = release
        self._audit = audit
        self._status = status
        self._may_be_master = may_be_master
        self._slave_pairing = slave_pairing
        self._master_pairing = master_pairing

    def install(self, api: Api) -> None:
        api.route("GET", "/api/v1/ha", self.status, area="ha", summary="Role, peer, VIP, sync",
                  response=HA_STATUS)  # fmt: skip
        api.route("GET", "/api/v1/ha/check", self.check, area="ha", auth=False,
                  summary="keepalived's check: 503 when this unit may not be Master",
                  response=CHECK_ANSWER)  # fmt: skip
        api.route("POST", "/api/v1/ha/join", self.join, area="ha",
                  summary="Open a pairing window (Slave)", body=JOIN_REQUEST,
                  response=JOIN_ANSWER)  # fmt: skip
        api.route("POST", "/api/v1/ha/pair", self.pair, area="ha",
                  summary="Pair with a Slave (Master)", body=PAIR_REQUEST,
                  response=HA_STATUS)  # fmt: skip
        api.route("DELETE", "/api/v1/ha", self.unpair, area="ha",
                  summary="Unpair this unit (either side)", response=HA_STATUS)  # fmt: skip

    def status(self) -> dict[str, object]:
        return self._status().to_dict()

    def check(self) -> dict[str, object]:
        ok, reason = self._may_be_master()
        if not ok:
            raise ApiError(503, reason)
        return {"ok": True}

    def join(self) -> dict[str, object]:
        master = json_body().get("master")
        window = self._slave_pairing.open_window(str(master) if master else None)
        shown = {key: window[key] for key in ("expires_in_seconds", "fingerprint")}
        self._record(AuditEntry("ha.join", "pairing window", request_user(), None, shown))
        return window

    def pair(self) -> dict[str, object]:
        before = self._status()
        self._master_pairing.pair(json_body())
        after = self.status()
        kept = ("paired", "role", "peer", "vip", "interface", "priority", "nopreempt", "witness")
        self._record(
            AuditEntry(
                "ha.pair",
                f"peer {after['peer']}",
                request_user(),
                {key: before.to_dict()[key] for key in kept},
                {key: after[key] for key in kept},
            )
        )
        return after

    def unpair(self) -> dict[str, object]:
        released = self._release()
        after = self.status()
        self._record(
            AuditEntry(
                "ha.unpair",
                f"peer {released.peer_address}",
                request_user(),
                {"peer": released.peer_address, "vip": released.vip},
                {"paired": after["paired"], "role": after["role"]},
            )
        )
        return after

    def _record(self, entry: AuditEntry) -> None:
        if self._audit is not None:
            self._audit.append(entry)
