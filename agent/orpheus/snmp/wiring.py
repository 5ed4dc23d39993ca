"""Creates the SNMP feature with its providers (called by bootstrap).

Asterisk and storage are read here; the other areas (status, update, licence, HA) come as
providers over the features' typed status objects (snmp/sources.py), which bootstrap builds.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from orpheus.asterisk.adapter import Asterisk
from orpheus.audit.log import AuditSink
from orpheus.config import AgentConfig
from orpheus.dbus.systemd import Systemd
from orpheus.snmp import asterisk_values, storage_values
from orpheus.snmp.feature import SnmpFeature
from orpheus.snmp.providers import Provider, ProviderRegistry


def snmp_feature(
    config: AgentConfig,
    asterisk: Asterisk,
    areas: Mapping[str, Provider],
    audit: AuditSink,
    systemd: Systemd,
) -> SnmpFeature:
    registry = ProviderRegistry()
    registry.register("asterisk", functools.partial(asterisk_values.collect, asterisk))
    targets = storage_values.targets(config.data_dir, config.usb_mount, config.nas_mount)
    registry.register("storage", functools.partial(storage_values.collect, targets))
    for area, provider in areas.items():
        registry.register(area, provider)
    return SnmpFeature(config, registry, audit, systemd)
