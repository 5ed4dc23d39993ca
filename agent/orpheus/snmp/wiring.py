"""Creates the SNMP feature with its providers (called by bootstrap).

Asterisk and the storage targets (the registry's, storage/registry.py) are read here; the
other areas (status, update, licence, HA) come as providers over the features' typed status
objects (snmp/sources.py), which bootstrap builds.
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
from orpheus.storage.registry import StorageTargets


def snmp_feature(
    config: AgentConfig,
    asterisk: Asterisk,
    areas: Mapping[str, Provider],
    audit: AuditSink,
    systemd: Systemd,
    storage: StorageTargets,
) -> SnmpFeature:
    registry = ProviderRegistry()
    registry.register("asterisk", functools.partial(asterisk_values.collect, asterisk))
    registry.register("storage", storage_values.StorageValues(storage))
    for area, provider in areas.items():
        registry.register(area, provider)
    return SnmpFeature(config, registry, audit, systemd)
