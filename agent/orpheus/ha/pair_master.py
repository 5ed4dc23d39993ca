"""Pairing, the Master's side: POST /api/v1/ha/pair checks the request, sends it to the Slave
authenticated by the code `ha join` showed there, checks the answer and pairs as Master."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from orpheus.api.app import ApiError
from orpheus.ha import interfaces, pair, pairing, peer_client
from orpheus.ha.adoption import Adoption
from orpheus.ha.generation import SyncedConfig
from orpheus.ha.identity import fingerprint_of_der, fingerprint_of_pem
from orpheus.ha.pair import PairSettings
from orpheus.ha.state import HaState
from orpheus.ha.vrrp_checks import check_advert, check_priority

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PairRequest:
    """A checked POST /api/v1/ha/pair, with what this unit adds to it."""

    peer: str
    vip: str
    interface: str
    local_address: str
    priority: int
    nopreempt: bool
    advert_interval: float
    vrrp_version: int
    witness: str | None
    firmware_version: str
    cert_pem: str
    auth_pass: str

    def fields(self) -> dict[str, object]:
        """What the Slave is sent (before the MAC)."""
        return {
            "address": self.local_address,
            "vip": self.vip,
            "nopreempt": self.nopreempt,
            "advert_interval": self.advert_interval,
            "vrrp_version": self.vrrp_version,
            "witness": self.witness,
            "firmware_version": self.firmware_version,
            "cert_pem": self.cert_pem,
            "auth_pass": self.auth_pass,
            "nonce": secrets.token_hex(16),
        }


def _fingerprint(body: dict[str, Any]) -> str:
    """The Slave's certificate fingerprint as `ha join` showed it, in hashlib's form."""
    shown = str(body.get("peer_fingerprint") or "").replace(":", "").lower()
    if len(shown) != 64 or any(ch not in "0123456789abcdef" for ch in shown):
        raise ApiError(
            400, "the certificate fingerprint shown by `orpheusctl ha join` on the peer is required"
        )
    return shown


class MasterPairing:
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

    def pair(self, body: dict[str, Any]) -> None:
        """Pairs with the peer body names, or raises ApiError naming why not."""
        with self._state.lock:
            self._adoption.refuse_unless_unpaired()
            request = self._request(body)
            code = str(body.get("code") or "")
            if not code:
                raise ApiError(
                    400, "the pairing code shown by `orpheusctl ha join` on the peer is required"
                )
            pinned = _fingerprint(body)
            fields = request.fields()
            fields["mac"] = pairing.mac(code, fields)
            try:
                reply, cert_der = peer_client.request(
                    request.peer,
                    self._sync_port,
                    self._state.client_context(),
                    "POST",
                    "/pair",
                    fields,
                    fingerprint=pinned,
                )
            except peer_client.PeerImpostor as error:
                log.warning("pairing with %s refused: %s", request.peer, error)
                raise ApiError(502, f"not pairing with {request.peer}: {error}") from error
            except peer_client.PeerUnreachable as error:
                raise ApiError(502, f"cannot reach the peer: {error}") from error
            except peer_client.PeerRefused as error:
                raise ApiError(
                    error.status if error.status < 500 else 502, f"the peer refused: {error}"
                ) from error
            self._finish(request, code, reply, cert_der, str(fields["nonce"]))

    def _request(self, body: dict[str, Any]) -> PairRequest:
        try:
            peer = str(ipaddress.IPv4Address(str(body.get("peer", ""))))
        except ValueError as error:
            raise ApiError(400, f"peer {body.get('peer')!r} is not an IPv4 address") from error
        try:
            vip = interfaces.parse_vip(str(body.get("vip", "")))
            own = interfaces.primary_address(str(body.get("interface", "")), vip)
        except interfaces.InterfaceError as error:
            raise ApiError(400, str(error)) from error
        priority = int(body.get("priority") or pair.MASTER_PRIORITY)
        check_priority(priority)
        advert = float(body.get("advert_interval") or pair.DEFAULT_ADVERT_INTERVAL)
        version = int(body.get("vrrp_version") or 3)
        check_advert(advert, version)
        if peer == str(own.address.ip) or peer == str(vip.ip):
            raise ApiError(400, f"peer {peer} is this unit's own address or the VIP")
        witness_address = body.get("witness") or interfaces.default_gateway()
        return PairRequest(
            peer=peer, vip=str(vip), interface=own.interface, local_address=str(own.address.ip),
            priority=priority, nopreempt=not bool(body.get("preempt")), advert_interval=advert,
            vrrp_version=version, witness=str(witness_address) if witness_address else None,
            firmware_version=self._firmware_version,
            cert_pem=self._state.identity.cert_pem, auth_pass=secrets.token_hex(4),
        )  # fmt: skip

    def _finish(
        self,
        request: PairRequest,
        code: str,
        reply: dict[str, Any],
        cert_der: bytes | None,
        nonce: str,
    ) -> None:
        claimed = str(reply.pop("mac", ""))
        if not pairing.check_mac(code, {**reply, "nonce": nonce}, claimed):
            raise ApiError(502, "the peer's answer is not authenticated by the pairing code")
        peer_pem = str(reply["cert_pem"])
        if cert_der is None or fingerprint_of_der(cert_der) != fingerprint_of_pem(peer_pem):
            raise ApiError(502, "the peer's TLS certificate is not the one it claims")
        try:
            pairing.check_versions(self._firmware_version, str(reply["firmware_version"]))
        except pairing.PairingRefused as error:
            raise ApiError(409, str(error)) from error
        settings = PairSettings(
            node_id=self._state.identity.fingerprint, local_address=request.local_address,
            peer_address=request.peer, peer_fingerprint=fingerprint_of_pem(peer_pem),
            vip=request.vip, interface=request.interface, priority=request.priority,
            preferred_role="master", nopreempt=request.nopreempt,
            advert_interval=request.advert_interval, vrrp_version=request.vrrp_version,
            witness=request.witness, auth_pass=request.auth_pass,
        )  # fmt: skip
        self._synced.new_generation()
        self._adoption.adopt(settings, peer_pem)
        log.info("paired as Master with %s (VIP %s)", request.peer, request.vip)
