"""Pairing, the Slave's side: `ha join` opens a window with a one-time code; the Master's
POST /pair on the pair channel, authenticated by that code, pairs this unit as Slave."""

from __future__ import annotations

import logging
from typing import Any

from orpheus.ha import interfaces, pair, pairing
from orpheus.ha.adoption import Adoption
from orpheus.ha.generation import SyncedConfig
from orpheus.ha.identity import fingerprint_of_pem
from orpheus.ha.pair import PairSettings
from orpheus.ha.peer_server import PeerRequestError
from orpheus.ha.state import HaState

log = logging.getLogger(__name__)


class SlavePairing:
    def __init__(
        self,
        state: HaState,
        synced: SyncedConfig,
        adoption: Adoption,
        firmware_version: str,
        sync_port: int,
    ) -> None:
        self._state = state
        self._synced = synced
        self._adoption = adoption
        self._firmware_version = firmware_version
        self._sync_port = sync_port

    def open_window(self) -> dict[str, object]:
        """POST /api/v1/ha/join: the code to give the Master, and how to reach this unit."""
        state = self._state
        with state.lock:
            self._adoption.refuse_unless_unpaired()
            state.join = pairing.JoinWindow.open()
            log.info("pairing window open for %.0f s", pairing.CODE_LIFETIME_SECONDS)
            return {
                "code": state.join.code,
                "expires_in_seconds": pairing.CODE_LIFETIME_SECONDS,
                "fingerprint": state.identity.fingerprint,
                "sync_port": self._sync_port,
            }

    def accept(self, body: dict[str, Any]) -> dict[str, Any]:
        """The Master's pair request (pair channel, before any certificate is pinned)."""
        state = self._state
        with state.lock:
            window = state.join
            if state.settings is not None or window is None or not window.usable():
                log.warning("pair channel: pairing attempt refused: no pairing window open")
                raise PeerRequestError(
                    403, "this unit is not waiting to pair (run `orpheusctl ha join` on it)"
                )
            claimed = str(body.pop("mac", ""))
            if not pairing.check_mac(window.code, body, claimed):
                window.wrong_attempts += 1
                log.warning("pair channel: pairing attempt with a wrong code")
                raise PeerRequestError(403, "wrong pairing code")
            settings = self._settings_from(body)
            state.join = None
            reply: dict[str, Any] = {
                "cert_pem": state.identity.cert_pem,
                "firmware_version": self._firmware_version,
            }
            reply["mac"] = pairing.mac(window.code, {**reply, "nonce": body["nonce"]})
            self._synced.reset()
            self._adoption.adopt(settings, str(body["cert_pem"]))
            log.info("paired as Slave of %s (VIP %s)", settings.peer_address, settings.vip)
            return reply

    def _settings_from(self, body: dict[str, Any]) -> PairSettings:
        """This unit's pairing as the Master proposed it (the code authenticated body)."""
        try:
            pairing.check_versions(str(body["firmware_version"]), self._firmware_version)
            vip = interfaces.parse_vip(str(body["vip"]))
            own = interfaces.interface_for_network(vip)
        except (pairing.PairingRefused, interfaces.InterfaceError) as error:
            raise PeerRequestError(409, str(error)) from error
        # The MAC binds cert_pem to the code; holding its key is proven by every later
        # mutual-TLS request, which pins it.
        witness_address = body.get("witness") or interfaces.default_gateway()
        return PairSettings(
            node_id=self._state.identity.fingerprint, local_address=str(own.address.ip),
            peer_address=str(body["address"]),
            peer_fingerprint=fingerprint_of_pem(str(body["cert_pem"])),
            vip=str(vip), interface=own.interface, priority=pair.SLAVE_PRIORITY,
            preferred_role="slave", nopreempt=bool(body["nopreempt"]),
            advert_interval=float(body["advert_interval"]),
            vrrp_version=int(body["vrrp_version"]),
            witness=str(witness_address) if witness_address else None,
            auth_pass=str(body["auth_pass"]),
        )  # fmt: skip
