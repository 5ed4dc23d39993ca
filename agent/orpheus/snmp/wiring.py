"""Creates the SNMP feature with the providers that exist on every unit.

Asterisk and storage are read directly; status, update, licence and HA through their own
API routes (registered in SnmpFeature.install_routes, once the API exists). A feature that
wants to feed its area directly registers its own callable on `feature.registry` instead.
"""

from __future__ import annotations

import functools

from orpheus.config import AgentConfig
from orpheus.dbus.systemd import Systemd
from orpheus.snmp import asterisk_values, storage_values
from orpheus.snmp.feature import SnmpFeature
from orpheus.snmp.providers import ProviderRegistry


def snmp_feature(config: AgentConfig, systemd: Systemd) -> SnmpFeature:
    registry = ProviderRegistry()
    cli = asterisk_values.cli_runner(config.asterisk_command)
    registry.register("asterisk", functools.partial(asterisk_values.collect, cli))
    targets = storage_values.targets(config.data_dir, config.usb_mount, config.nas_mount)
    registry.register("storage", functools.partial(storage_values.collect, targets))
    return SnmpFeature(config, registry, systemd)
