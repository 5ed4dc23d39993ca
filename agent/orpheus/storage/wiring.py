"""Builds the storage targets and the recordings' transfers from the agent's settings
(called by bootstrap after the recordings): the USB mounts through systemd over D-Bus, each
drive's filesystem checked first."""

from __future__ import annotations

from orpheus.audit.log import AuditSink
from orpheus.config import AgentConfig
from orpheus.dbus.systemd import Systemd
from orpheus.jobs.registry import JobRegistry
from orpheus.recordings.wiring import RECORDINGS_DIR
from orpheus.storage.check import FsckChecker
from orpheus.storage.feature import StorageFeature
from orpheus.storage.hotplug import UdevMonitor
from orpheus.storage.journal import Journal
from orpheus.storage.mounts import SystemdMounts
from orpheus.storage.nas import CREDENTIALS_DIR, Credentials
from orpheus.storage.placement import PENDING_FILE, Placement, Settings
from orpheus.storage.registry import StorageTargets
from orpheus.storage.retention import Sweeper
from orpheus.storage.transfer_feature import TransferFeature
from orpheus.storage.transfer_job import Transfers

MOUNT_DIR = "storage"  # run_dir/storage/usb-<uuid>, run_dir/storage/nas-<word>
NAS_WATCH_SECONDS = 10.0  # each NAS's state looked at; an unreachable one mounted again
SETTINGS_FILE = "storage.json"
JOURNAL_FILE = "recordings-transfer.json"


def storage_and_transfers(
    config: AgentConfig,
    systemd: Systemd,
    jobs: JobRegistry,
    audit: AuditSink,
    recording_settings: Settings | None = None,
) -> tuple[StorageFeature, TransferFeature]:
    """Storage first: its start mounts the drives already plugged in, which an interrupted
    transfer (resumed at the transfers' start) may need."""
    mounts = SystemdMounts(systemd)
    targets = StorageTargets(
        config.data_dir / RECORDINGS_DIR,
        config.run_dir / MOUNT_DIR,
        mounts,
        config.state_dir / SETTINGS_FILE,
        audit,
        checker=FsckChecker(),
        nas_mounter=mounts,
        credentials=Credentials(config.state_dir / CREDENTIALS_DIR),
    )
    sweeper = Sweeper(targets, audit)
    storage = StorageFeature(targets, UdevMonitor(targets), sweeper, NAS_WATCH_SECONDS)
    transfers = TransferFeature(
        Transfers(targets, Journal(config.state_dir / JOURNAL_FILE)), jobs, audit
    )
    storage.busy = transfers.busy
    sweeper.busy, sweeper.claimed = transfers.busy, transfers.claimed
    transfers.finished = sweeper.wake  # a move frees space: the limits are checked again
    if recording_settings is not None:
        placement = Placement(
            targets,
            recording_settings,
            config.state_dir / PENDING_FILE,
            audit,
            config.recording_pending_quota_mb * 1_000_000,
            config.recording_placement_retry_seconds,
        )
        placement.claimed, placement.busy = transfers.claimed, transfers.busy
        targets.changed = placement.wake  # a drive plugged in, a new default: tried at once

        def claimed(target: str) -> frozenset[str]:  # retention keeps what is being moved
            moving = placement.moving
            held = frozenset({moving[0]}) if moving and target == "internal" else frozenset()
            return transfers.claimed(target) | held

        sweeper.claimed = claimed

        def busy(target: str) -> str | None:  # no eject mid-move either
            return transfers.busy(target) or placement.using(target)

        storage.busy = busy
        storage.placement = placement
    return storage, transfers
