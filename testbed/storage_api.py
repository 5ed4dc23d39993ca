"""The agent's storage, recordings transfer and jobs routes on a real server, with a USB
stick plugged in as a directory (no USB hardware or systemd on the host) and a few
recordings on internal: `python -m testbed.storage_api DIR PORT PASSWORD`.

For fuzzing those routes on the host, in a network namespace with only loopback.
"""

from __future__ import annotations

import sys
from pathlib import Path

from orpheus.api.app import Api
from orpheus.api.schema import UPLOAD
from orpheus.api.server import make_tcp_server
from orpheus.audit.log import AuditLog
from orpheus.auth import PasswordStore
from orpheus.jobs.feature import JobsFeature
from orpheus.jobs.registry import JobRegistry
from orpheus.recordings.store import RecordingStore
from orpheus.storage.devices import UsbVolume
from orpheus.storage.feature import StorageFeature
from orpheus.storage.journal import Journal
from orpheus.storage.registry import StorageTargets
from orpheus.storage.retention import Sweeper
from orpheus.storage.transfer_feature import TransferFeature
from orpheus.storage.transfer_job import Transfers

STICK = {
    "DEVNAME": "/dev/sdb1", "SUBSYSTEM": "block", "ID_BUS": "usb", "ID_FS_USAGE": "filesystem",
    "ID_FS_TYPE": "vfat", "ID_FS_UUID": "5E1C-8A2F", "ID_FS_LABEL": "FUZZ",
}  # fmt: skip


class DirectoryMounter:
    """The stick's mount point is a directory; unmounting leaves it (it reads unreachable
    only once removed: Path.is_dir is the mount check here)."""

    def mount(self, volume: UsbVolume, where: Path, *, read_only: bool = False) -> None:
        where.mkdir(parents=True, exist_ok=True)

    def unmount(self, where: Path) -> None:
        pass


def build(directory: Path, password: str) -> Api:
    data = directory / "data"
    store = RecordingStore(data / "recordings")
    store.ensure()
    for n in range(3):
        recording_id = f"1764650000.{n}"
        store.partial_path(recording_id).write_bytes(bytes(4096 + n))
        facts = {"id": recording_id, "started": f"2026-11-0{n + 1}T10:00:00",
                 "direction": "inbound", "caller": "0612", "called": "101"}  # fmt: skip
        store.publish(recording_id, facts)
    audit = AuditLog(data / "orpheus/pbx.sqlite")
    targets = StorageTargets(
        store.directory, directory / "run/storage", DirectoryMounter(),
        data / "orpheus/storage.json", audit, mounted=Path.is_dir,
    )  # fmt: skip
    targets.device_added(STICK)
    jobs = JobRegistry()
    transfers = TransferFeature(
        Transfers(targets, Journal(data / "orpheus/recordings-transfer.json")), jobs, audit
    )
    # Retention sweeps often here, so that the limits the fuzzer sets are applied at once.
    sweeper = Sweeper(targets, audit, interval=0.5, min_gap=0.05)
    sweeper.busy, sweeper.claimed = transfers.busy, transfers.claimed
    transfers.finished = sweeper.wake
    storage = StorageFeature(targets, sweeper=sweeper)
    storage.busy = transfers.busy
    sweeper.start()
    passwords = PasswordStore(data / "orpheus")
    passwords.set(password)
    api = Api(passwords)
    for feature in (storage, transfers, JobsFeature(jobs)):
        feature.install_routes(api)
    return api


def main() -> None:
    directory, port, password = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    api = build(directory, password)

    def body_limit(method: str, path: str) -> int:
        return api.body_limit(method, path, UPLOAD)

    server = make_tcp_server(api.app, "127.0.0.1", port, body_limit=body_limit,
                             spool_dir=directory / "spool")  # fmt: skip
    print("serving", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
