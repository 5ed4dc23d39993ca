"""The SNMP feature: GET/PUT /api/v1/snmp, snmpd's configuration, ORPHEUS-MIB and traps."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.config import AgentConfig
from orpheus.config_text import UnsafeValue
from orpheus.dbus.systemd import Systemd
from orpheus.snmp import notifications, settings, snmpd_conf
from orpheus.snmp.mib import ORPHEUS_ARC
from orpheus.snmp.providers import AreaValues, ProviderRegistry, Refresher
from orpheus.snmp.schemas import SNMP_ANSWER, SNMP_CHANGES
from orpheus.snmp.subagent import Subagent
from orpheus.snmp.view import MibView

log = logging.getLogger(__name__)


def snmpd_config_file(config: AgentConfig) -> Path:
    return config.data_dir / "etc/snmp/snmpd.conf"


def settings_file(config: AgentConfig) -> Path:
    return config.state_dir / "snmp.json"


class SnmpFeature:
    name = "snmp"

    def __init__(
        self,
        config: AgentConfig,
        registry: ProviderRegistry,
        audit: AuditSink | None,
        systemd: Systemd,
    ) -> None:
        self._config = config
        self._audit = audit
        self._systemd = systemd
        self.registry = registry
        self._lock = threading.Lock()
        self._settings = settings.load(settings_file(config))
        self._view = MibView([])
        self._previous: dict[str, AreaValues] | None = None
        self.refresher = Refresher(registry, config.snmp_refresh_seconds)
        self.refresher.add_listener(self._on_values)
        self.subagent = Subagent(config.snmp_agentx_socket, ORPHEUS_ARC, lambda: self._view)
        self.sent: list[notifications.Notification] = []

    # --- Feature ------------------------------------------------------------------------

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/snmp",
            self.show,
            area="snmp",
            summary="SNMP settings (secrets masked)",
            response=SNMP_ANSWER,
        )
        api.route(
            "PUT",
            "/api/v1/snmp",
            self.update,
            area="snmp",
            summary="Change SNMP settings",
            body=SNMP_CHANGES,
            response=SNMP_ANSWER,
        )

    def start(self) -> None:
        self._write_and_apply(self._settings)
        self.refresher.start()
        self.subagent.start()

    def stop(self) -> None:
        self.refresher.stop()
        self.subagent.stop()

    # --- API ----------------------------------------------------------------------------

    def show(self) -> dict[str, Any]:
        return {
            "settings": self._settings.public(),
            "agentx_connected": self.subagent.connected,
            "objects": len(self._view),
            "areas": sorted(self.refresher.values),
        }

    def update(self) -> dict[str, Any]:
        with self._lock:
            try:
                changed = settings.merge(self._settings, json_body())
                snmpd_conf.render(changed, self._daemon_options())  # refused before it is saved
            except (settings.SettingsError, UnsafeValue) as error:
                raise ApiError(400, str(error)) from error
            settings.save(settings_file(self._config), changed)
            before, self._settings = self._settings, changed
            if self._audit is not None:
                self._audit.append(
                    AuditEntry(
                        "snmp.update",
                        "snmp settings",
                        request_user(),
                        before.public(),
                        changed.public(),
                    )
                )
            problem = self._write_and_apply(changed)
        answer = self.show()
        if problem:
            answer["warning"] = f"saved, but snmpd did not reload: {problem}"
        return answer

    # --- internals ----------------------------------------------------------------------

    def _daemon_options(self) -> snmpd_conf.DaemonOptions:
        return snmpd_conf.DaemonOptions(
            agentx_socket=self._config.snmp_agentx_socket,
            listen=self._config.snmp_listen,
            disks=(Path("/"), self._config.data_dir),
        )

    def _write_and_apply(self, current: settings.SnmpSettings) -> str | None:
        rendered = snmpd_conf.render(current, self._daemon_options())
        snmpd_conf.write(snmpd_config_file(self._config), rendered)
        problem = snmpd_conf.apply(self._config.snmp_apply_command, self._systemd)
        if problem:
            log.warning("snmpd not reloaded: %s", problem)
        return problem

    def _on_values(self, values: dict[str, AreaValues]) -> None:
        self._view = MibView.from_values(values)
        previous, self._previous = self._previous, values
        if previous is None:
            return
        thresholds = notifications.Thresholds(
            self._settings.storage_full_percent, self._settings.license_warning_days
        )
        for notification in notifications.due(previous, values, thresholds):
            log.info("SNMP notification %s", notification.name)
            self.sent.append(notification)
            self.subagent.notify(notification.oid, list(notification.varbinds))
