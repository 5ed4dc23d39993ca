"""Pairing, the Slave's side: `ha join` opens a window with a one-time code; the Master's
POST /pair on the pair channel, authenticated by that code, pairs this unit as Slave."""

from __future__ import annotations

import logging
from typing import Any

from cryptography import x509

from orpheus.api.app import ApiError
from orpheus.api.schema import CompiledDeclaration, Declaration, RequestInvalid, check
from orpheus.ha import interfaces, pair, pairing
from orpheus.ha.adoption import Adoption
from orpheus.ha.generation import SyncedConfig
from orpheus.ha.identity import fingerprint_of_pem
from orpheus.ha.pair import PairSettings
from orpheus.ha.peer_server import PeerRequestError
from orpheus.ha.schemas import PAIR_OFFER
from orpheus.ha.state import HaState
from orpheus.ha.vrrp_checks import check_advert

log = logging.getLogger(__name__)

OFFER_VALIDATOR = CompiledDeclaration.compile(Declaration(body=PAIR_OFFER)).body


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

    def open_window(self, master: str | None = None) -> dict[str, object]:
        """POST /api/v1/ha/join: the code and this unit's certificate fingerprint to give the
        Master, and how to reach this unit; with master, only that address may pair."""
        state = self._state
        with state.lock:
            self._adoption.refuse_unless_unpaired()
            state.join = pairing.JoinWindow.open(master)
            log.info(
                "pairing window open for %.0f s (for %s)",
                pairing.CODE_LIFETIME_SECONDS,
                master or "any address",
            )
            return {
                "code": state.join.code,
                "expires_in_seconds": pairing.CODE_LIFETIME_SECONDS,
                "fingerprint": state.identity.fingerprint,
                "sync_port": self._sync_port,
            }

    def refusal_for(self, client: str) -> str | None:
        """Why client may not send a pair request now (the body is not read then), or None."""
        state = self._state
        with state.lock:
            window = state.join
            if state.settings is not None or window is None:
                return pairing.NOT_WAITING
            return window.refusal_for(client)

    def accept(self, body: dict[str, Any], client: str = "") -> dict[str, Any]:
        """The Master's pair request from client (pair channel, before any certificate is
        pinned): the code first, then every field against the schema the Master's API uses."""
        state = self._state
        with state.lock:
            refusal = self.refusal_for(client)
            window = state.join
            if refusal is not None or window is None:
                log.warning("pair channel: pairing attempt from %s refused: %s", client, refusal)
                raise PeerRequestError(403, refusal or "no pairing window open")
            claimed = str(body.pop("mac", ""))
            if not pairing.check_mac(window.code, body, claimed):
                window.wrong_code_from(client)
                log.warning("pair channel: pairing attempt from %s with a wrong code", client)
                raise PeerRequestError(403, "wrong pairing code")
            try:
                check(OFFER_VALIDATOR, body, "pair request")
            except RequestInvalid as error:
                log.warning("pair channel: pair request from %s refused: %s", client, error)
                raise PeerRequestError(400, str(error)) from error
            if client and body["address"] != client:
                raise PeerRequestError(
                    400, f"pair request from {client} names {body['address']} as the Master"
                )
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
        try:
            check_advert(float(body["advert_interval"]), int(body["vrrp_version"]))
            # A certificate this unit could not load would stop its pair channel.
            x509.load_pem_x509_certificate(str(body["cert_pem"]).encode())
        except ApiError as error:
            raise PeerRequestError(400, f"pair request: {error.message}") from error
        except ValueError as error:
            message = f"pair request: cert_pem is not a certificate: {error}"
            raise PeerRequestError(400, message) from error
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
