"""The HA feature: pairing, keepalived, the pair channel, config sync and GET /api/v1/ha.

This module owns the node's shared state (ha/state.py) and wires the parts, each its own
module: routes (routes.py), pairing (join.py on the Slave, pair_master.py on the Master,
adoption.py), the pair channel (peer_handlers.py served by peer_server.py, polled by
peer_watch.py), VRRP role policy and the witness (role.py) and the push loop (sync.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from orpheus.api.app import Api
from orpheus.asterisk.adapter import Asterisk
from orpheus.audit.log import AuditSink
from orpheus.ha import keepalived, pair
from orpheus.ha.adoption import Adoption
from orpheus.ha.generation import SyncedConfig
from orpheus.ha.identity import ensure_identity
from orpheus.ha.join import SlavePairing
from orpheus.ha.landing import LandedChanges, SyncListener
from orpheus.ha.notify_fifo import NotifyFifoReader
from orpheus.ha.options import HaOptions, options_from
from orpheus.ha.pair_master import MasterPairing
from orpheus.ha.peer_handlers import PeerChannelHandlers
from orpheus.ha.peer_server import PeerServer
from orpheus.ha.peer_watch import peer_loop
from orpheus.ha.role import RolePolicy, witness_loop
from orpheus.ha.routes import HaRoutes
from orpheus.ha.state import HaState
from orpheus.ha.status import Generations, HaStatus
from orpheus.ha.sync import SyncLoop, sync_lag
from orpheus.ha.telephony import TelephonyRole

__all__ = ["HaFeature", "HaOptions", "options_from"]


class HaFeature:
    name = "ha"

    def __init__(
        self,
        options: HaOptions,
        healthy: Callable[[], tuple[bool, str]],
        ha_refusal: Callable[[], str | None],
        *,
        asterisk: Asterisk | None = None,
        audit: AuditSink | None = None,
    ) -> None:
        """asterisk: the agent's one adapter (a CLI-only one of the options when not given);
        audit: where pairing is recorded."""
        directory = options.state_dir / "ha"
        state = HaState(directory, ensure_identity(directory), pair.load(directory / "pair.json"))
        self._state = state
        self._synced = SyncedConfig(options.data_dir, directory / "generation.json")
        self._landed = LandedChanges(options.data_dir)
        telephony = TelephonyRole(asterisk or Asterisk(options.asterisk_command))
        process = keepalived.KeepalivedProcess(
            options.keepalived_command, options.keepalived_paths, options.log_dir / "keepalived.log"
        )
        self._adoption = Adoption(state, options, process, telephony, ha_refusal)
        self._policy = RolePolicy(state, self._synced, healthy, telephony)
        self._fifo = NotifyFifoReader(
            options.keepalived_paths.host(options.keepalived_paths.fifo),
            self._policy.on_vrrp_state,
        )
        version, port = options.firmware_version, options.sync_port
        slave = SlavePairing(state, self._synced, self._adoption, version, port)
        master = MasterPairing(state, self._synced, self._adoption, version, port)
        self._routes = HaRoutes(
            self.status_snapshot, self.may_be_master, slave, master, self._adoption.release, audit
        )
        handlers = PeerChannelHandlers(state, self._synced, self._landed, slave, version)
        self._server = PeerServer("0.0.0.0", port, state.server_context, handlers)
        sync = SyncLoop(
            state, self._synced, self._policy.behind_reason, port, options.sync_scan_seconds
        )
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=peer_loop, args=(state, port, self._stop), name="ha-peer"),
            threading.Thread(target=witness_loop, args=(state, self._stop), name="ha-witness"),
            threading.Thread(target=sync.run, args=(self._stop,), name="ha-sync"),
        ]
        for thread in self._threads:
            thread.daemon = True

    # -- feature protocol

    def install_routes(self, api: Api) -> None:
        self._routes.install(api)
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
        if self._state.settings:
            self._adoption.run_keepalived(self._state.settings)

    def stop(self) -> None:
        self._stop.set()
        self._landed.stop()
        self._fifo.stop()
        self._server.stop()

    # -- what other parts of the agent ask

    def write_refusal(self, path: str) -> str | None:
        """The API's write guard: configuration is read-only on the Slave."""
        return self._policy.write_refusal(path)

    def may_be_master(self) -> tuple[bool, str]:
        return self._policy.may_be_master()

    def status_snapshot(self) -> HaStatus:
        """What GET /api/v1/ha answers (and SNMP reads)."""
        state, settings, record = self._state, self._state.settings, self._synced.record
        peer_key = state.peer.key()
        peer_role = state.peer.state.get("role") if peer_key and state.peer.state else None
        witness = settings.witness if settings else None
        return HaStatus(
            paired=settings is not None,
            role=state.role_name(),
            vrrp_state=state.role,
            peer=settings.peer_address if settings else None,
            peer_reachable=state.peer.reachable(),
            peer_role=peer_role,
            vip=settings.vip if settings else None,
            interface=settings.interface if settings else None,
            priority=settings.priority if settings else None,
            nopreempt=settings.nopreempt if settings else None,
            advert_interval=settings.advert_interval if settings else None,
            witness=witness,
            witness_reachable=None if not witness else not state.witness_down(),
            may_be_master=self.may_be_master()[1],
            last_failover=state.last_failover,
            sync_lag_seconds=sync_lag(record.key(), peer_key, state.role == "MASTER", time.time()),
            last_sync_lag_seconds=self._synced.last_apply_lag,
            applying_synced_config=not self._landed.idle(),
            generation=Generations(record.generation, peer_key[0] if peer_key else None),
            config_events=tuple(event.as_dict() for event in record.events),
            node_fingerprint=state.identity.fingerprint,
        )
