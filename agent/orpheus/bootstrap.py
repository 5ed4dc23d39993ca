"""Agent start-up: every part is created here, in order, with its dependencies passed in."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from orpheus import firmware, provision, systemd_notify
from orpheus.admin import AdminFeature
from orpheus.ami_users.feature import AmiUsersFeature
from orpheus.api.app import Api
from orpheus.api.login_limit import LoginLimiter
from orpheus.api.schema import UPLOAD
from orpheus.api.server import (
    make_tcp_server,
    make_tls_server,
    make_unix_server,
    serve_in_thread,
)
from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.monitor import AsteriskMonitor
from orpheus.asterisk.registrations import RegistrationCounts
from orpheus.audit.feature import AuditFeature
from orpheus.audit.log import AuditLog
from orpheus.audit.login_blocks import block_recorder
from orpheus.auth import PasswordStore
from orpheus.calls.feature import CallsFeature
from orpheus.capture.wiring import capture_feature
from orpheus.cdr.wiring import cdr_feature, join_call_fields
from orpheus.clock.feature import TimeFeature
from orpheus.clock.settings import TimeStore
from orpheus.config import AgentConfig, load_config
from orpheus.console.factory_routes import FactoryFeature
from orpheus.console.routes import ConsoleFeature
from orpheus.dbus.systemd import DbusSystemd
from orpheus.diagnostics.feature import ReportFeature
from orpheus.feature import Feature
from orpheus.firewall.feature import firewall_feature
from orpheus.firstrun.feature import SetupFeature
from orpheus.ha.feature import HaFeature, options_from
from orpheus.https.feature import HttpsFeature, HttpsSettings
from orpheus.https.redirect import plain_http_app
from orpheus.jobs.feature import JobsFeature
from orpheus.jobs.registry import JobRegistry
from orpheus.licensing.active import Licensing
from orpheus.licensing.feature import LicensingFeature
from orpheus.network.feature import NetworkFeature
from orpheus.network.settings import NETWORK_FILE_NAME, NetworkStore
from orpheus.pbx import wiring as pbx_wiring
from orpheus.pbx.call_class_feature import CallClassFeature
from orpheus.recordings.wiring import privacy_and_recordings
from orpheus.snmp import sources
from orpheus.snmp.providers import Provider
from orpheus.snmp.wiring import snmp_feature
from orpheus.status import StatusFeature
from orpheus.storage.wiring import storage_and_transfers
from orpheus.update.wiring import update_features
from orpheus.user_routes import UsersFeature
from orpheus.users.sessions import SessionLimits, SessionStore
from orpheus.users.store import UserStore
from orpheus.web.feature import WebFeature

log = logging.getLogger("orpheus")

SSH_AUTHORIZED_KEYS = Path("/data/etc/ssh/authorized_keys/root")


def build_features(
    config: AgentConfig,
    users: UserStore,
    asterisk: Asterisk,
    monitor: AsteriskMonitor,
    audit: AuditLog,
) -> list[Feature]:
    release = firmware.read_release(config.release_file)
    boot = firmware.read_boot_info(config.cmdline_file)
    status = StatusFeature(config, release, boot, monitor)
    systemd = DbusSystemd()  # units and the reboot go through systemd's D-Bus API
    jobs = JobRegistry()  # every long action (updates, recordings' moves) is listed at /api/v1/jobs
    # The audit log first: it is stopped (closed) last.
    features: list[Feature] = [
        AuditFeature(audit), status, AdminFeature(users, audit), JobsFeature(jobs)
    ]  # fmt: skip
    # Licensing before the PBX, HA (licensing.refusal) and updates (update_support_until).
    licensing = Licensing(
        config.state_dir,
        config.sysfs_dir,
        config.data_dir,
        config.license_public_key,
        boot.board,
        config.factory_public_key,
    )

    def serial() -> str | None:
        return licensing.identity.serial if licensing.identity else None

    https = https_feature(config, serial, audit)
    licensing.subscribe(https.on_identity)  # the unit's own certificate names the serial
    status.set_tls_fingerprint(https.fingerprint)
    status.add_alarm_source(https.alarms)
    features.append(https)
    pbx = pbx_wiring.pbx_feature(config, licensing, asterisk)
    # The TLS transport serves the HTTPS pair: a new one is rendered for Asterisk at once.
    https.subscribe(pbx.configurator.reapply)
    licence = LicensingFeature(licensing, pbx.configurator.usage, audit)
    status.add_alarm_source(licence.alarms)
    status.add_alarm_source(functools.partial(provision.alarms, users.passwords))
    # manager.conf (the agent's AMI login) is written before the PBX applies over AMI.
    ami_users = AmiUsersFeature(config.state_dir, config.asterisk_config_dir, asterisk, audit)
    calls = CallsFeature(asterisk, pbx.configurator.rendered, licensing, audit)
    features += [licence, ami_users, pbx, calls, CallClassFeature(asterisk)]
    firewall = firewall_feature(config, asterisk, audit) if config.firewall_enabled else None
    if firewall is not None:
        features.append(firewall)
    status.set_weak_password_count(pbx.weak_passwords)
    status.set_registration_counts(RegistrationCounts(asterisk.pjsip_state))
    privacy, recordings = privacy_and_recordings(config, audit)
    status.add_alarm_source(recordings.spool.alarms)
    storage, transfers = storage_and_transfers(config, systemd, jobs, audit, pbx.recording_settings)
    status.add_alarm_source(storage.targets.alarms)  # a drive mounted read-only after its check
    if storage.sweeper is not None:  # a new recording may take a target past its limits
        recordings.spool.stored = storage.sweeper.wake
    if storage.placement is not None:  # each finished recording to its target
        recordings.spool.finished = storage.placement.finished
        recordings.located = storage.placement.where
        recordings.elsewhere = storage.placement.other_stores
        status.add_alarm_source(storage.placement.alarms)
    features += [privacy, recordings, storage, transfers]
    cdr = cdr_feature(config, asterisk, privacy, audit)  # encrypted to the privacy key too
    status.add_alarm_source(cdr.alarms)
    join_call_fields(recordings, cdr, storage.placement)
    features.append(cdr)
    ha = HaFeature(
        options_from(config, release.version),
        status.healthy,
        functools.partial(licensing.refusal, "high_availability"),
        asterisk=asterisk,
        audit=audit,
    )
    ha.add_sync_listener(pbx.configuration_synced)  # synced configuration reloads Asterisk
    ha.add_sync_listener(ami_users.configuration_synced)  # and renders the pair's AMI accounts
    features.append(ha)

    areas: dict[str, Provider] = {
        "status": sources.provider(status.snapshot, lambda s: sources.status_values(s, serial())),
        "license": sources.provider(licence.snapshot, sources.license_values),
        "ha": sources.provider(ha.status_snapshot, sources.ha_values),
    }
    if firewall is not None:
        areas["firewall"] = sources.provider(firewall.firewall.counts, sources.firewall_values)
    if config.rauc_enabled and boot.slot:
        update, update_parts = update_features(
            config,
            boot.slot,
            status.healthy,
            asterisk,
            release,
            audit,
            support_until=licensing.update_support_until,
            systemd=systemd,
            jobs=jobs,
        )
        features += update_parts
        areas["update"] = sources.provider(update.snapshot, sources.update_values)
    features.append(snmp_feature(config, asterisk, areas, audit, systemd, storage.targets))
    sections = {f"status/{name}.json": area for name, area in areas.items()}
    sections["firmware/status.json"] = status.status
    if firewall is not None:
        sections["status/firewall.json"] = firewall.state
    roots = {"orpheus": config.state_dir, "etc": config.data_dir / "etc"}
    features.append(
        ReportFeature(sections, asterisk, roots, config.run_dir / "report", config.data_dir, audit)
    )
    features.append(capture_feature(config, systemd, jobs, audit, asterisk))
    features.append(network_feature(config, audit))
    features += [time_feature(config, audit), SetupFeature(config.state_dir / "setup.json", audit)]
    return features


def network_feature(config: AgentConfig, audit: AuditLog) -> NetworkFeature:
    # The image links /etc/systemd/network/10-orpheus.network here (rootfs_overlay/).
    network_file = config.data_dir / "etc/systemd/network" / NETWORK_FILE_NAME
    store = NetworkStore(config.state_dir / "network.json", network_file)
    return NetworkFeature(store, config.network_apply_command, audit)


def time_feature(config: AgentConfig, audit: AuditLog) -> TimeFeature:
    # The image links /etc/localtime and timesyncd's drop-in here (rootfs_overlay/).
    store = TimeStore(config.state_dir / "time.json", config.data_dir / "etc", config.zoneinfo_dir)
    return TimeFeature(store, config.time_apply_command, config.time_synchronized_file, audit)


def https_feature(
    config: AgentConfig, serial: Callable[[], str | None], audit: AuditLog
) -> HttpsFeature:
    settings = HttpsSettings(
        directory=config.state_dir / "tls",
        https_port=config.https_port,
        banner_file=config.run_dir / "issue",
        banner_reload=config.console_banner_reload,
    )
    return HttpsFeature(settings, serial, audit)


def run(config: AgentConfig) -> None:
    passwords = PasswordStore(config.state_dir)
    credentials = config.credentials_dir or _credentials_from_environment()
    provision.provision_admin_password(passwords, credentials)
    if config.data_dir == Path("/data"):
        provision.provision_ssh_keys(SSH_AUTHORIZED_KEYS, credentials)

    asterisk = Asterisk(config.asterisk_command, pbx_wiring.manager_login(config))
    monitor = AsteriskMonitor(asterisk.facts, config.asterisk_poll_seconds)
    audit = pbx_wiring.audit_log(config)
    users = UserStore(passwords)
    features = build_features(config, users, asterisk, monitor, audit)
    sessions = SessionStore(SessionLimits(config.session_idle_seconds, config.session_max_seconds))
    api = Api(
        passwords, LoginLimiter(on_block=block_recorder(audit)), users=users, sessions=sessions
    )
    features.append(UsersFeature(api, audit))
    reboot = DbusSystemd().reboot if config.reboot_enabled else None
    features.append(ConsoleFeature(api, audit, reboot))  # the console menu's routes
    features.append(FactoryFeature(config.state_dir, config.factory_public_key, audit))
    features.append(WebFeature(api))  # the admin page, rendered from the API's answers
    for feature in features:
        feature.install_routes(api)

    # Each route's declared cap (an upload's is the data partition's free space); bodies too
    # large for memory (the bundle upload) are spooled on the data partition.
    spool = config.state_dir / "spool"

    def body_limit(method: str, path: str) -> int:
        return api.body_limit(method, path, UPLOAD)  # the server caps what is not an upload

    https = next(f for f in features if isinstance(f, HttpsFeature))
    servers = [
        make_tls_server(
            api.app, config.http_address, config.https_port, https.context,
            body_limit=body_limit, spool_dir=spool,
        ),
        make_tcp_server(
            plain_http_app(api.app, config.https_port), config.http_address, config.http_port,
            body_limit=body_limit, spool_dir=spool,
        ),
        make_unix_server(api.app, config.socket_path, body_limit=body_limit, spool_dir=spool),
    ]  # fmt: skip
    threads = [serve_in_thread(server, f"http-{i}") for i, server in enumerate(servers)]
    monitor.start()
    for feature in features:
        feature.start()

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    systemd_notify.notify("READY=1\nSTATUS=serving the API")
    log.info(
        "agent ready on %s (https %d, http %d) and %s",
        config.http_address, config.https_port, config.http_port, config.socket_path,
    )  # fmt: skip
    _supervise(stopping, threads, monitor, config)

    for feature in reversed(features):
        feature.stop()
    monitor.stop()
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
