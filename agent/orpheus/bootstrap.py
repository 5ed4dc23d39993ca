"""Agent start-up: every part is created here, in order, with its dependencies passed in."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import signal
import threading
import time
from pathlib import Path

from orpheus import firmware, provision, systemd_notify
from orpheus.admin import AdminFeature
from orpheus.api.app import Api
from orpheus.api.body_limit import default_body_limit
from orpheus.api.server import make_tcp_server, make_unix_server, serve_in_thread
from orpheus.asterisk.control import query_facts
from orpheus.asterisk.monitor import AsteriskMonitor
from orpheus.auth import PasswordStore
from orpheus.config import AgentConfig, load_config
from orpheus.feature import Feature
from orpheus.ha.feature import HaFeature, options_from
from orpheus.licensing.wiring import licensing_features
from orpheus.pbx.feature import PbxFeature
from orpheus.snmp.wiring import snmp_feature
from orpheus.status import StatusFeature
from orpheus.update.wiring import update_features

log = logging.getLogger("orpheus")

SSH_AUTHORIZED_KEYS = Path("/data/etc/ssh/authorized_keys/root")


def build_features(
    config: AgentConfig, passwords: PasswordStore, asterisk: AsteriskMonitor
) -> list[Feature]:
    release = firmware.read_release(config.release_file)
    boot = firmware.read_boot_info(config.cmdline_file)
    status = StatusFeature(config, release, boot, asterisk)
    features: list[Feature] = [status, AdminFeature(passwords)]
    # Licensing first: HA (licensing.refusal) and updates (update_support_until) ask it.
    licensing, licensing_feature, licensing_parts = licensing_features(config, boot.board)
    status.add_alarm_source(licensing_feature.alarms)
    features += licensing_parts
    ha = HaFeature(
        options_from(config, release.version),
        status.healthy,
        functools.partial(licensing.refusal, "high_availability"),
    )
    for part in licensing_parts:  # configuration synced from the HA peer reloads Asterisk
        if isinstance(part, PbxFeature):
            ha.add_sync_listener(part.configuration_synced)
    features.append(ha)
    if config.rauc_enabled and boot.slot:
        features += update_features(
            config, boot.slot, status.healthy, support_until=licensing.update_support_until
        )
    features.append(snmp_feature(config))
    return features


def run(config: AgentConfig) -> None:
    passwords = PasswordStore(config.state_dir)
    credentials = config.credentials_dir or _credentials_from_environment()
    provision.provision_admin_password(passwords, credentials)
    if config.data_dir == Path("/data"):
        provision.provision_ssh_keys(SSH_AUTHORIZED_KEYS, credentials)

    asterisk = AsteriskMonitor(
        functools.partial(query_facts, config.asterisk_command), config.asterisk_poll_seconds
    )
    features = build_features(config, passwords, asterisk)
    api = Api(passwords)
    for feature in features:
        feature.install_routes(api)

    # Bodies too large for memory (the bundle upload) are spooled on the data partition.
    body_limit, spool = default_body_limit(config.data_dir), config.state_dir / "spool"
    servers = [
        make_tcp_server(
            api.app, config.http_address, config.http_port, body_limit=body_limit, spool_dir=spool
        ),
        make_unix_server(api.app, config.socket_path, body_limit=body_limit, spool_dir=spool),
    ]
    threads = [serve_in_thread(server, f"http-{i}") for i, server in enumerate(servers)]
    asterisk.start()
    for feature in features:
        feature.start()

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    systemd_notify.notify("READY=1\nSTATUS=serving the API")
    log.info(
        "agent ready on %s:%d and %s", config.http_address, config.http_port, config.socket_path
    )
    _supervise(stopping, threads, asterisk, config)

    for feature in reversed(features):
        feature.stop()
    asterisk.stop()
    for server in servers:
        server.shutdown()
    config.socket_path.unlink(missing_ok=True)


def _supervise(
    stopping: threading.Event,
    threads: list[threading.Thread],
    asterisk: AsteriskMonitor,
    config: AgentConfig,
) -> None:
    """Pings systemd's watchdog only while the API threads and the Asterisk poller are alive."""
    interval = systemd_notify.watchdog_interval() or 5.0
    poll_grace = 3 * config.asterisk_poll_seconds + 15
    while not stopping.wait(interval):
        alive = all(t.is_alive() for t in threads)
        polling = time.monotonic() - asterisk.last_loop_at < poll_grace
        if alive and polling:
            systemd_notify.notify("WATCHDOG=1")
        else:
            log.error(
                "not pinging the watchdog: api alive=%s, asterisk poller alive=%s", alive, polling
            )


def _credentials_from_environment() -> Path | None:
    value = os.environ.get("CREDENTIALS_DIRECTORY")
    return Path(value) if value else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orpheus-agent", description="Orpheus device agent")
    parser.add_argument("--config", type=Path, help="TOML settings file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
    except (OSError, ValueError) as error:
        log.error("cannot load settings: %s", error)
        return 1
    run(config)
    return 0
