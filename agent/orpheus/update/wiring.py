"""Builds the update features from the agent's settings (called by bootstrap)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from orpheus.asterisk.adapter import Asterisk
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.config import AgentConfig
from orpheus.dbus.rauc import DbusRauc, Rauc, RaucError, SlotStatus
from orpheus.dbus.systemd import Systemd, SystemdError
from orpheus.feature import Feature
from orpheus.firmware import Release
from orpheus.jobs.registry import JobRegistry
from orpheus.update import configcheck, entitlement, health
from orpheus.update.commit import CommitFeature
from orpheus.update.fallback import FallbackDeps, FallbackKeeper
from orpheus.update.feature import UpdateFeature, read_boot_id
from orpheus.update.installer import InstallDeps
from orpheus.update.jobs import JobSlot
from orpheus.update.policy import Firmware
from orpheus.update.rauc_view import RaucView

log = logging.getLogger(__name__)


def reboot(systemd: Systemd) -> None:
    """Asks systemd for the reboot; a unit without it stays up and says why in the log (the
    caller's job or rollback is already recorded, so nothing else is lost)."""
    try:
        systemd.reboot()
    except SystemdError as error:
        log.error("%s", error)


def rauc_status(rauc: Rauc) -> tuple[SlotStatus, str]:
    """The slots and the primary one's name ("" when the bootloader names none)."""
    slots = rauc.slot_status()
    try:
        return slots, rauc.primary()
    except RaucError as error:
        # After a fallback boot, until its commit, GRUB's env names no slot RAUC counts as
        # bootable (the other is bad, the booted one has an attempt counted): GetPrimary fails
        # ("No bootable slot found in ORDER"), GetSlotStatus still answers.
        log.info("the bootloader names no primary slot: %s", error)
        return slots, ""


def _audit_restore(audit: AuditSink | None, message: str) -> None:
    """The agent's own change of a slot, in the audit log beside the admins' installs."""
    if audit is not None:
        audit.append(AuditEntry("update.fallback", "firmware slot", "agent", None, message))


def _support_until(licensed: Callable[[], date | None] | None, support_file: Path) -> date | None:
    """The licence's date; a unit with neither licence nor identity (development) reads the file."""
    return (licensed() if licensed else None) or entitlement.read_support_until(support_file)


def update_features(
    config: AgentConfig,
    booted_slot: str,
    healthy: Callable[[], tuple[bool, str]],
    asterisk: Asterisk,
    release: Release,
    audit: AuditSink,
    support_until: Callable[[], date | None] | None = None,
    *,
    systemd: Systemd,
    rauc: Rauc | None = None,
    jobs: JobRegistry | None = None,
) -> tuple[UpdateFeature, list[Feature]]:
    """The update feature (SNMP reads its status) and every update part, commit included.
    support_until: the licence's update_support_until once licensing provides it;
    rauc: RAUC over D-Bus unless given (a fake in tests); jobs: the agent's job registry
    (install jobs are listed at /api/v1/jobs)."""
    rauc = rauc or DbusRauc()
    restart = functools.partial(reboot, systemd)
    state_dir = config.state_dir
    state = configcheck.update_state(config)
    support_file = state_dir / "update-support-until"
    view = RaucView(functools.partial(rauc_status, rauc), rauc.mark)
    deps = InstallDeps(
        state=state,
        config=configcheck.config_store(config),
        running=Firmware(
            release.version, release.build_date, release.min_version, release.compatible
        ),
        booted_slot=booted_slot,
        data_dir=config.data_dir,
        support_until=functools.partial(_support_until, support_until, support_file),
        active_calls=asterisk.active_calls,
        reboot=restart,
        boot_id=read_boot_id,
        rauc=rauc,
        download_dir=state_dir / "update" / "download",
        stall_seconds=config.update_stall_seconds,
        slots_changed=view.refresh,
    )
    gate = health.all_of(
        [
            healthy,
            health.sip_listening,
            functools.partial(health.data_writable, config.data_dir),
            functools.partial(health.config_present, config.data_dir / "etc/asterisk/pjsip.conf"),
            health.not_broken,
        ]
    )
    update_jobs = JobSlot(jobs)
    commit = CommitFeature(
        gate,
        view.mark,
        config.commit_deadline_seconds,
        state=state,
        booted_slot=booted_slot,
        boot_id=read_boot_id,
        reboot=restart,
    )
    keeper = FallbackKeeper(
        FallbackDeps(
            view=view,
            state=state,
            running=deps.running,
            booted_slot=booted_slot,
            jobs=update_jobs,
            on_restored=functools.partial(_audit_restore, audit),
        ),
        config.fallback_check_seconds,
    )
    update = UpdateFeature(
        deps, state_dir / "update" / "upload", view, update_jobs, audit, keeper.give_way
    )
    return update, [update, commit, keeper]
