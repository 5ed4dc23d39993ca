"""Becoming paired (either side) and keeping keepalived configured for the pairing."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from orpheus import files
from orpheus.api.app import ApiError
from orpheus.ha import interfaces, keepalived, pair
from orpheus.ha.keepalived import KeepalivedProcess
from orpheus.ha.options import HaOptions
from orpheus.ha.pair import PairSettings
from orpheus.ha.state import HaState
from orpheus.ha.telephony import TelephonyRole

log = logging.getLogger(__name__)

# With preemption, a repaired node waits this long (syncing) before taking the VIP back.
PREEMPT_DELAY_SECONDS = 3


class Adoption:
    def __init__(
        self,
        state: HaState,
        options: HaOptions,
        process: KeepalivedProcess,
        telephony: TelephonyRole,
        ha_refusal: Callable[[], str | None],
    ) -> None:
        self._state = state
        self._options = options
        self._process = process
        self._telephony = telephony
        self._ha_refusal = ha_refusal

    def refuse_unless_unpaired(self) -> None:
        """ApiError unless this unit may pair now (licensed for HA, not paired yet)."""
        refusal = self._ha_refusal()
        if refusal:
            raise ApiError(403, refusal)
        if self._state.settings is not None:
            raise ApiError(409, f"already paired with {self._state.settings.peer_address}")

    def adopt(self, settings: PairSettings, peer_pem: str) -> None:
        """Pins the peer's certificate, keeps the pairing and starts VRRP with it."""
        state = self._state
        files.write_file(state.peer_cert_file, peer_pem, mode=0o644)
        pair.save(state.pair_file, settings)
        state.settings = settings
        state.role = "INIT"
        self.run_keepalived(settings)

    def release(self) -> PairSettings:
        """Unpairs this unit: keepalived stopped, the VIP dropped, the pinned peer forgotten;
        the unit then takes calls on its own address. ApiError when it is not paired."""
        state = self._state
        with state.lock:
            settings = state.settings
            if settings is None:
                raise ApiError(409, "this unit is not paired")
            self._process.stop()
            if settings.vip:  # keepalived's SIGTERM removes it; a killed one would not have
                interfaces.drop_address(settings.interface, ipaddress.IPv4Interface(settings.vip))
            state.pair_file.unlink(missing_ok=True)
            state.peer_cert_file.unlink(missing_ok=True)
            state.settings = None
            state.role = "UNPAIRED"
            self._telephony.activate()  # its own registrations again, as an unpaired unit
        log.info("unpaired from %s", settings.peer_address)
        return settings

    def run_keepalived(self, settings: PairSettings) -> None:
        """keepalived running with the configuration of settings (reloaded when it changed);
        telephony stands by until keepalived reports MASTER."""
        if settings.vip:
            self._telephony.standby(settings.interface, settings.vip)
        options = self._options
        text = keepalived.render(
            settings,
            options.keepalived_paths,
            options.agent_socket,
            options.agentx_socket,
            preempt_delay=PREEMPT_DELAY_SECONDS,
        )
        changed = self._process.write_config(text)
        self._process.ensure_running(changed)
