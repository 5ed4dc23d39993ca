"""The HA feature: pairing, keepalived, the pair channel, config sync and GET /api/v1/ha.

Endpoints (JSON):
  GET  /api/v1/ha          status (stable shape, read by SNMP): see `status()`
  POST /api/v1/ha/join     Slave: opens a pairing window, answers {"code": ...}
  POST /api/v1/ha/pair     Master: {"peer", "vip", "interface", "code", optional "priority",
                           "preempt", "advert_interval", "vrrp_version", "witness"}
  GET  /api/v1/ha/check    for keepalived's track script: 200 when this node may be Master
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus import files
from orpheus.api.app import Api, ApiError, json_body
from orpheus.asterisk.adapter import Asterisk
from orpheus.ha import interfaces, keepalived, pair, pairing, peer_client, tls, witness
from orpheus.ha.generation import Push, ReplayedGeneration, SyncedConfig
from orpheus.ha.identity import Identity, ensure_identity, fingerprint_of_der, fingerprint_of_pem
from orpheus.ha.landing import LandedChanges, SyncListener
from orpheus.ha.notify_fifo import NotifyFifoReader
from orpheus.ha.pair import PairSettings
from orpheus.ha.peer_server import PeerRequestError, PeerServer
from orpheus.ha.telephony import TelephonyRole

log = logging.getLogger(__name__)

PEER_POLL_SECONDS = 0.2
PEER_TIMEOUT_SECONDS = 1.0
# Per socket operation (not the whole push): a peer that vanishes mid-push costs this long.
PUSH_TIMEOUT_SECONDS = 5.0
WITNESS_POLL_SECONDS = 0.5
WITNESS_TIMEOUT_SECONDS = 1.5
# A Backup that stays behind the peer's configuration this long may not become Master.
BEHIND_GRACE_SECONDS = 2.0
# With preemption, a repaired node waits this long (syncing) before taking the VIP back.
PREEMPT_DELAY_SECONDS = 3
# A Master that receives a push lost a split brain: it fails its check until it leaves MASTER
# (bounded, in case keepalived never reports the change).
YIELD_MAX_SECONDS = 10.0


@dataclass(frozen=True)
class HaOptions:
    data_dir: Path
    state_dir: Path
    http_port: int
    sync_port: int
    sync_scan_seconds: float
    firmware_version: str
    asterisk_command: tuple[str, ...]
    keepalived_command: tuple[str, ...]
    keepalived_paths: keepalived.KeepalivedPaths
    log_dir: Path
    agentx_socket: Path | None = None  # snmpd's AgentX master socket, as keepalived sees it


@dataclass
class PeerView:
    state: dict[str, Any] | None = None
    seen_at: float | None = None  # monotonic time of the last answer
    behind_since: float | None = None

    def reachable(self) -> bool:
        return self.seen_at is not None and time.monotonic() - self.seen_at < PEER_TIMEOUT_SECONDS


class HaFeature:
    name = "ha"

    def __init__(
        self,
        options: HaOptions,
        healthy: Callable[[], tuple[bool, str]],
        ha_refusal: Callable[[], str | None],
    ) -> None:
        self._options = options
        self._healthy = healthy
        self._ha_refusal = ha_refusal
        self._dir = options.state_dir / "ha"
        self._identity: Identity = ensure_identity(self._dir)
        self._settings = pair.load(self._pair_file)
        self._synced = SyncedConfig(options.data_dir, self._dir / "generation.json")
        self._landed = LandedChanges(options.data_dir)
        self._keepalived = keepalived.KeepalivedProcess(
            options.keepalived_command, options.keepalived_paths, options.log_dir / "keepalived.log"
        )
        self._telephony = TelephonyRole(Asterisk(options.asterisk_command))
        self._fifo = NotifyFifoReader(
            options.keepalived_paths.host(options.keepalived_paths.fifo), self._on_vrrp_state
        )
        self._peer = PeerView()
        self._witness_seen_at: float | None = None
        self._yielding_since: float | None = None
        self._role = "INIT" if self._settings else "UNPAIRED"
        self._last_failover: dict[str, object] | None = None
        self._join: pairing.JoinWindow | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._server = PeerServer("0.0.0.0", options.sync_port, self._server_context, self)
        self._threads = [
            threading.Thread(target=self._peer_loop, name="ha-peer", daemon=True),
            threading.Thread(target=self._witness_loop, name="ha-witness", daemon=True),
            threading.Thread(target=self._sync_loop, name="ha-sync", daemon=True),
        ]

    # -- feature protocol

    def install_routes(self, api: Api) -> None:
        api.route("GET", "/api/v1/ha", self.status)
        api.route("GET", "/api/v1/ha/check", self.check_response, auth=False)
        api.route("POST", "/api/v1/ha/join", self.join)
        api.route("POST", "/api/v1/ha/pair", self.pair)
        if hasattr(api, "add_write_guard"):
            api.add_write_guard(self.write_refusal)

    def add_sync_listener(self, listener: SyncListener) -> None:
        """Called with the absolute paths each push from the peer changed here (e.g. the PBX,
        which reloads Asterisk), on a worker thread, in order."""
        self._landed.add_listener(listener)

    def start(self) -> None:
        self._landed.start()
        self._fifo.start()
        self._server.start()
        for thread in self._threads:
            thread.start()
        if self._settings:
            self._run_keepalived()

    def stop(self) -> None:
        self._stop.set()
        self._landed.stop()
        self._fifo.stop()
        self._server.stop()

    # -- paths and TLS

    @property
    def _pair_file(self) -> Path:
        return self._dir / "pair.json"

    @property
    def _peer_cert_file(self) -> Path:
        return self._dir / "peer.crt"

    def _peer_cert(self) -> Path | None:
        return self._peer_cert_file if self._settings and self._peer_cert_file.exists() else None

    def _server_context(self) -> ssl.SSLContext:
        return tls.server_context(self._identity, self._peer_cert())

    def _client_context(self) -> ssl.SSLContext:
        return tls.client_context(self._identity, self._peer_cert())

    # -- status and checks

    def may_be_master(self) -> tuple[bool, str]:
        ok, reason = self._healthy()
        if not ok:
            return False, reason
        if self._settings is None:
            return True, "ok"
        if self._synced.record.generation == 0:
            return False, "waiting for the first configuration sync from the Master"
        if self._isolated():
            return False, "isolated: neither the peer nor the witness answers"
        if self._yielding():
            return False, "yielding the VIP to the peer, whose configuration was newer"
        behind = self._behind_reason()
        if behind:
            return False, behind
        return True, "ok"

    def _isolated(self) -> bool:
        if self._settings is None or self._peer.reachable() or not self._settings.witness:
            return False
        seen = self._witness_seen_at
        return seen is None or time.monotonic() - seen > WITNESS_TIMEOUT_SECONDS

    def _yielding(self) -> bool:
        since = self._yielding_since
        if since is None or self._role != "MASTER":
            return False
        return time.monotonic() - since < YIELD_MAX_SECONDS

    def _peer_key(self) -> tuple[int, float] | None:
        state = self._peer.state
        if state is None or not self._peer.reachable():
            return None
        return (int(state["generation"]), float(state["changed_at"]))

    def _behind_reason(self) -> str | None:
        peer_key = self._peer_key()
        record = self._synced.record
        if peer_key is None or peer_key <= record.key():
            self._peer.behind_since = None
            return None
        assert self._peer.state is not None
        since = self._peer.behind_since or time.monotonic()
        self._peer.behind_since = since
        master_behind = self._role == "MASTER"
        if master_behind and self._yielding_since is None:
            self._yielding_since = time.monotonic()  # a split brain lost: see _yielding
        if master_behind or time.monotonic() - since > BEHIND_GRACE_SECONDS:
            return (
                f"configuration generation {record.generation} is behind the peer's "
                f"{peer_key[0]}: waiting to re-sync from it"
            )
        return None

    def check_response(self) -> dict[str, object]:
        ok, reason = self.may_be_master()
        if not ok:
            raise ApiError(503, reason)
        return {"ok": True}

    def write_refusal(self, path: str) -> str | None:
        """Configuration is read-only on the Slave: a changing request names the Master."""
        if self._settings is None or path.startswith("/api/v1/ha") or self._role == "MASTER":
            return None
        if path.startswith("/api/v1/admin/"):
            return None
        message = (
            f"this unit is the Slave of an HA pair: configuration is read-only here; "
            f"make the change on the Master ({self._settings.peer_address})"
        )
        self._synced.record_refusal(f"{path} refused on the Slave")
        return message

    def status(self) -> dict[str, object]:
        settings = self._settings
        record = self._synced.record
        peer_state = self._peer.state if self._peer.reachable() else None
        peer_generation = peer_state["generation"] if peer_state else None
        return {
            "paired": settings is not None,
            "role": self._role_name(),
            "vrrp_state": self._role,
            "peer": settings.peer_address if settings else None,
            "peer_reachable": self._peer.reachable(),
            "peer_role": peer_state.get("role") if peer_state else None,
            "vip": settings.vip if settings else None,
            "interface": settings.interface if settings else None,
            "priority": settings.priority if settings else None,
            "nopreempt": settings.nopreempt if settings else None,
            "advert_interval": settings.advert_interval if settings else None,
            "witness": settings.witness if settings else None,
            "witness_reachable": None
            if not settings or not settings.witness
            else not self._witness_down(),
            "may_be_master": self.may_be_master()[1],
            "last_failover": self._last_failover,
            "sync_lag_seconds": self._sync_lag(peer_generation),
            "last_sync_lag_seconds": self._synced.last_apply_lag,
            "applying_synced_config": not self._landed.idle(),
            "generation": {"local": record.generation, "peer": peer_generation},
            "config_events": [event.as_dict() for event in record.events],
            "node_fingerprint": self._identity.fingerprint,
        }

    def _witness_down(self) -> bool:
        seen = self._witness_seen_at
        return seen is None or time.monotonic() - seen > WITNESS_TIMEOUT_SECONDS

    def _role_name(self) -> str:
        return {"MASTER": "master", "BACKUP": "slave", "FAULT": "fault", "STOP": "stopped"}.get(
            self._role, self._role.lower()
        )

    def _sync_lag(self, peer_generation: int | None) -> float | None:
        """Seconds the pair has differed: 0 when both hold the same generation."""
        record = self._synced.record
        if peer_generation is None:
            return None
        if peer_generation == record.generation:
            return 0.0
        if self._role == "MASTER" and record.changed_at:
            return round(max(0.0, time.time() - record.changed_at), 3)
        peer_changed = float(self._peer.state["changed_at"]) if self._peer.state else 0.0
        return round(max(0.0, time.time() - peer_changed), 3)

    # -- pairing (local API)

    def join(self) -> dict[str, object]:
        with self._lock:
            self._refuse_unless_unpaired()
            self._join = pairing.JoinWindow.open()
            log.info("pairing window open for %.0f s", pairing.CODE_LIFETIME_SECONDS)
            return {
                "code": self._join.code,
                "expires_in_seconds": pairing.CODE_LIFETIME_SECONDS,
                "fingerprint": self._identity.fingerprint,
                "sync_port": self._options.sync_port,
            }

    def _refuse_unless_unpaired(self) -> None:
        refusal = self._ha_refusal()
        if refusal:
            raise ApiError(403, refusal)
        if self._settings is not None:
            raise ApiError(409, f"already paired with {self._settings.peer_address}")

    def pair(self) -> dict[str, object]:
        body = json_body()
        with self._lock:
            self._refuse_unless_unpaired()
            request = self._pair_request(body)
            code = str(body.get("code") or "")
            if not code:
                raise ApiError(
                    400, "the pairing code shown by `orpheusctl ha join` on the peer is required"
                )
            fields = request.fields()
            fields["mac"] = pairing.mac(code, fields)
            try:
                reply, cert_der = peer_client.request(
                    request.peer,
                    self._options.sync_port,
                    self._client_context(),
                    "POST",
                    "/pair",
                    fields,
                )
            except peer_client.PeerUnreachable as error:
                raise ApiError(502, f"cannot reach the peer: {error}") from error
            except peer_client.PeerRefused as error:
                raise ApiError(
                    error.status if error.status < 500 else 502, f"the peer refused: {error}"
                ) from error
            self._finish_master_pairing(request, code, reply, cert_der, str(fields["nonce"]))
            return self.status()

    def _pair_request(self, body: dict[str, Any]) -> _PairRequest:
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
        if not pair.SLAVE_PRIORITY < priority <= 254:
            raise ApiError(
                400, f"priority {priority} must be between {pair.SLAVE_PRIORITY + 1} and 254"
            )
        advert = float(body.get("advert_interval") or pair.DEFAULT_ADVERT_INTERVAL)
        version = int(body.get("vrrp_version") or 3)
        if (
            version not in (2, 3)
            or (version == 2 and advert != int(advert))
            or not 0.01 <= advert <= 255
        ):
            raise ApiError(400, f"advert interval {advert:g} s does not fit VRRPv{version}")
        if peer == str(own.address.ip) or peer == str(vip.ip):
            raise ApiError(400, f"peer {peer} is this unit's own address or the VIP")
        witness_address = body.get("witness") or interfaces.default_gateway()
        return _PairRequest(
            peer=peer, vip=str(vip), interface=own.interface, local_address=str(own.address.ip),
            priority=priority, nopreempt=not bool(body.get("preempt")), advert_interval=advert,
            vrrp_version=version, witness=str(witness_address) if witness_address else None,
            firmware_version=self._options.firmware_version,
            cert_pem=self._identity.cert_pem, auth_pass=secrets.token_hex(4),
        )  # fmt: skip

    def _finish_master_pairing(
        self,
        request: _PairRequest,
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
            pairing.check_versions(self._options.firmware_version, str(reply["firmware_version"]))
        except pairing.PairingRefused as error:
            raise ApiError(409, str(error)) from error
        settings = PairSettings(
            node_id=self._identity.fingerprint, local_address=request.local_address,
            peer_address=request.peer, peer_fingerprint=fingerprint_of_pem(peer_pem),
            vip=request.vip, interface=request.interface, priority=request.priority,
            preferred_role="master", nopreempt=request.nopreempt,
            advert_interval=request.advert_interval, vrrp_version=request.vrrp_version,
            witness=request.witness, auth_pass=request.auth_pass,
        )  # fmt: skip
        self._synced.new_generation()
        self._adopt(settings, peer_pem)
        log.info("paired as Master with %s (VIP %s)", request.peer, request.vip)

    def _adopt(self, settings: PairSettings, peer_pem: str) -> None:
        files.write_file(self._peer_cert_file, peer_pem, mode=0o644)
        pair.save(self._pair_file, settings)
        self._settings = settings
        self._role = "INIT"
        self._run_keepalived()

    def _run_keepalived(self) -> None:
        assert self._settings is not None
        settings = self._settings
        if settings.vip:
            self._telephony.standby(settings.interface, settings.vip)
        options = self._options
        text = keepalived.render(
            settings, options.keepalived_paths, options.http_port, options.agentx_socket
        )
        if not settings.nopreempt:
            text = text.replace(
                "    state BACKUP\n",
                f"    state BACKUP\n    preempt_delay {PREEMPT_DELAY_SECONDS}\n",
            )
        changed = self._keepalived.write_config(text)
        self._keepalived.ensure_running(changed)

    # -- pair channel (peer server handlers)

    def peer_pair(self, body: dict[str, Any], peer_cert_der: bytes | None) -> dict[str, Any]:
        with self._lock:
            if self._settings is not None or self._join is None or not self._join.usable():
                log.warning("pair channel: pairing attempt refused: no pairing window open")
                raise PeerRequestError(
                    403, "this unit is not waiting to pair (run `orpheusctl ha join` on it)"
                )
            claimed = str(body.pop("mac", ""))
            if not pairing.check_mac(self._join.code, body, claimed):
                self._join.wrong_attempts += 1
                log.warning("pair channel: pairing attempt with a wrong code")
                raise PeerRequestError(403, "wrong pairing code")
            try:
                pairing.check_versions(
                    str(body["firmware_version"]), self._options.firmware_version
                )
                vip = interfaces.parse_vip(str(body["vip"]))
                own = interfaces.interface_for_network(vip)
            except (pairing.PairingRefused, interfaces.InterfaceError) as error:
                raise PeerRequestError(409, str(error)) from error
            peer_pem = str(body["cert_pem"])
            # The MAC binds cert_pem to the code; holding its key is proven by every later
            # mutual-TLS request, which pins it.
            witness_address = body.get("witness") or interfaces.default_gateway()
            settings = PairSettings(
                node_id=self._identity.fingerprint, local_address=str(own.address.ip),
                peer_address=str(body["address"]), peer_fingerprint=fingerprint_of_pem(peer_pem),
                vip=str(vip), interface=own.interface, priority=pair.SLAVE_PRIORITY,
                preferred_role="slave", nopreempt=bool(body["nopreempt"]),
                advert_interval=float(body["advert_interval"]),  # type: ignore[arg-type]
                vrrp_version=int(body["vrrp_version"]),  # type: ignore[call-overload]
                witness=str(witness_address) if witness_address else None,
                auth_pass=str(body["auth_pass"]),
            )  # fmt: skip
            code = self._join.code
            self._join = None
            reply: dict[str, Any] = {
                "cert_pem": self._identity.cert_pem,
                "firmware_version": self._options.firmware_version,
            }
            reply["mac"] = pairing.mac(code, {**reply, "nonce": body["nonce"]})
            self._synced.reset()
            self._adopt(settings, peer_pem)
            log.info("paired as Slave of %s (VIP %s)", settings.peer_address, settings.vip)
            return reply

    def _authenticated_peer(self, peer_cert_der: bytes | None) -> PairSettings:
        settings = self._settings
        if (
            settings is None
            or peer_cert_der is None
            or fingerprint_of_der(peer_cert_der) != settings.peer_fingerprint
        ):
            log.warning("pair channel: request without the paired peer's certificate dropped")
            raise PeerRequestError(403, "not the paired peer")
        return settings

    def peer_state(self, peer_cert_der: bytes | None) -> dict[str, Any]:
        self._authenticated_peer(peer_cert_der)
        record = self._synced.record
        return {
            "role": self._role_name(),
            "generation": record.generation,
            "changed_at": record.changed_at,
            "manifest": record.manifest,
            "unsynced": record.unsynced,
            "firmware_version": self._options.firmware_version,
        }

    def peer_push(self, body: dict[str, Any], peer_cert_der: bytes | None) -> dict[str, Any]:
        self._authenticated_peer(peer_cert_der)
        held = self._synced.record.key()
        try:
            push = Push.from_json(body)
            if self._role == "MASTER" and (push.generation, push.changed_at) == held:
                # The generation this Master authored, sent back by a peer with a stale view
                # of it: its files could only overwrite changes made here since the last scan.
                log.info("pair channel: push of generation %d held here already", push.generation)
                return {"generation": held[0]}
            applied = self._synced.apply(push)
        except ReplayedGeneration as error:
            log.warning("pair channel: push dropped: %s", error)
            raise PeerRequestError(409, str(error)) from error
        except files.DiskFull as error:  # nothing landed; the peer pushes again later
            log.warning("pair channel: push dropped: %s", error)
            raise PeerRequestError(507, str(error)) from error
        except (KeyError, TypeError, ValueError) as error:
            log.warning("pair channel: malformed push dropped: %s", error)
            raise PeerRequestError(400, f"malformed push: {error}") from error
        self._landed.landed(applied.changed)
        missing = applied.missing
        if missing:
            raise PeerRequestError(409, f"missing {len(missing)} file(s): {missing[:3]}")
        peer = self._peer.state
        if peer is not None:  # the peer holds what it pushed: never push it back from here
            self._peer.state = {
                **peer,
                "generation": push.generation,
                "changed_at": push.changed_at,
                "manifest": push.manifest,
            }
        # A push of what this node already holds (from a peer with a stale view) is no reason.
        if self._role == "MASTER" and (push.generation, push.changed_at) > held:
            log.warning("split brain healed: the peer's configuration was newer; yielding the VIP")
            self._yielding_since = time.monotonic()
        return {"generation": self._synced.record.generation}

    # -- VRRP state changes from keepalived

    def _on_vrrp_state(self, instance: str, state: str) -> None:
        if instance != keepalived.INSTANCE or self._settings is None:
            return
        yielded = self._yielding()
        previous, self._role = self._role, state
        if state != "MASTER":
            self._yielding_since = None
        log.info("VRRP: %s -> %s", previous, state)
        if state == "MASTER":
            self._last_failover = {
                "time": time.time(),
                "reason": self._takeover_reason(previous),
                "role": "master",
            }
            self._telephony.activate()
        else:
            if previous == "MASTER":
                reason = (
                    "split brain healed: yielded to the peer's newer configuration"
                    if yielded
                    else "this node failed its health check"
                    if state == "FAULT"
                    else "the peer took the VIP"
                )
                self._last_failover = {
                    "time": time.time(),
                    "reason": reason,
                    "role": self._role_name(),
                }
            self._telephony.standby(self._settings.interface, self._settings.vip)

    def _takeover_reason(self, previous: str) -> str:
        seen = self._peer.seen_at
        # keepalived declares the Master down after 3 adverts (plus skew); a peer still answering
        # was seen within one poll period.
        advert = self._settings.advert_interval if self._settings else 1.0
        if seen is None or time.monotonic() - seen > max(3 * advert, 1.5 * PEER_POLL_SECONDS):
            return "peer stopped answering"
        peer_role = (self._peer.state or {}).get("role")
        if peer_role == "fault":
            return "peer failed its health check"
        if previous == "INIT":
            return "started as the preferred Master"
        return "took over from the peer"

    # -- background loops

    def _peer_loop(self) -> None:
        while not self._stop.wait(PEER_POLL_SECONDS):
            settings = self._settings
            if settings is None:
                continue
            try:
                state, _ = peer_client.request(
                    settings.peer_address, self._options.sync_port, self._client_context(),
                    "GET", "/state", timeout=PEER_TIMEOUT_SECONDS,
                )  # fmt: skip
            except (peer_client.PeerUnreachable, peer_client.PeerRefused, ssl.SSLError):
                continue
            self._peer.state, self._peer.seen_at = state, time.monotonic()

    def _witness_loop(self) -> None:
        while not self._stop.wait(WITNESS_POLL_SECONDS):
            settings = self._settings
            if settings and settings.witness and witness.ping(settings.witness, timeout=0.5):
                self._witness_seen_at = time.monotonic()

    def _sync_loop(self) -> None:
        while not self._stop.wait(self._options.sync_scan_seconds):
            if self._settings is None:
                continue
            author = self._role == "MASTER" and self._behind_reason() is None
            self._synced.scan(author=author)
            # The newer side pushes whatever its VRRP role (after a split brain the newer one
            # may be BACKUP for a moment), except to a fresh Slave: that one stays FAULT until
            # the Master holds the VIP and syncs it, so the Master set up as such wins VRRP.
            if author or self._newer_than_peer():
                self._push_if_needed()

    def _newer_than_peer(self) -> bool:
        peer_key = self._peer_key()
        return peer_key is not None and peer_key[0] > 0 and self._synced.record.key() > peer_key

    def _push_if_needed(self) -> None:
        state = self._peer.state
        if state is None or not self._peer.reachable() or self._settings is None:
            return
        record = self._synced.record
        if (state["generation"], state["changed_at"]) == record.key() and state[
            "manifest"
        ] == record.manifest:
            self._synced.mark_synced(*record.key())
            return
        if (int(state["generation"]), float(state["changed_at"])) > record.key():
            return  # the peer is newer: it pushes to us instead
        push = self._synced.make_push(state["manifest"])
        try:
            peer_client.request(
                self._settings.peer_address, self._options.sync_port, self._client_context(),
                "POST", "/push", push.as_json(), timeout=PUSH_TIMEOUT_SECONDS,
            )  # fmt: skip
        except (peer_client.PeerUnreachable, ssl.SSLError) as error:
            log.info("push of generation %d failed: %s", push.generation, error)
            return
        except peer_client.PeerRefused as error:
            log.warning("peer refused generation %d: %s", push.generation, error)
            self._peer.state = None
            return
        self._peer.state = {
            **state,
            "generation": push.generation,
            "changed_at": push.changed_at,
            "manifest": push.manifest,
        }
        self._synced.mark_synced(push.generation, push.changed_at)


@dataclass(frozen=True)
class _PairRequest:
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


def options_from(config: Any, firmware_version: str) -> HaOptions:
    """HaOptions from the AgentConfig (kept here so the config module stays plain data)."""
    return HaOptions(
        data_dir=config.data_dir,
        state_dir=config.state_dir,
        http_port=config.http_port,
        sync_port=config.ha_sync_port,
        sync_scan_seconds=config.ha_sync_scan_seconds,
        firmware_version=firmware_version,
        asterisk_command=tuple(config.asterisk_command),
        keepalived_command=tuple(config.ha_keepalived_command),
        keepalived_paths=keepalived.KeepalivedPaths(
            root=config.ha_keepalived_root,
            run_dir=config.ha_keepalived_run_dir,
            script_dir=config.ha_script_dir,
        ),
        log_dir=config.run_dir,
        agentx_socket=config.snmp_agentx_socket,
    )
