"""An install job: check the source, the bundle and the rules, then let RAUC write the slot.

Every refusal happens before RAUC is asked to install, so a refused bundle leaves both slots,
the boot order and the data as they were. A bundle from a URL is downloaded once, into a
directory only the agent writes, and that file is what is inspected, checked and installed:
a server cannot answer the checks with one bundle and the install with another (RAUC 1.13,
Debian trixie's, has no install argument that would pin the inspected manifest hash of a
streamed bundle). With --reboot the unit restarts into the new slot
only once the PBX is idle (or at once with force), waiting at most idle_timeout seconds.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orpheus import runner
from orpheus.dbus.rauc import BundleInfo, Rauc, RaucError
from orpheus.jobs.model import Failure, Job, Refusal, failure_reason
from orpheus.update import fetch, policy, verity
from orpheus.update.fetch import check_url
from orpheus.update.policy import Firmware, Refused
from orpheus.update.schema import ConfigStore
from orpheus.update.state import UpdateState, now_iso

log = logging.getLogger(__name__)

# RAUC's status file and the agent's state live on /data: an install needs room for them.
MIN_FREE_BYTES = 16 * 1024**2
IDLE_POLL_SECONDS = 5.0
# RAUC sometimes fails to set up the dm-verity device of a streamed bundle ("Failed mounting
# bundle: Failed to load dm table: Argument list too long"; seen under QEMU TCG, about one
# streamed install in four, and the next attempt worked). It fails before the target slot
# is touched (RAUC marks it non-bootable only after the mount), so the agent tries again.
MOUNT_ATTEMPTS = 3
MOUNT_RETRY_SECONDS = 2.0
# `rauc info` checks the bundle's signature: seconds on a slow unit, never minutes.
RAUC_INFO_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class InstallRequest:
    source: str  # a path on the unit or an http(s) URL
    reboot: bool = False
    force: bool = False
    idle_timeout: float = 1800.0

    @property
    def is_url(self) -> bool:
        return self.source.startswith(("http://", "https://"))


@dataclass
class InstallDeps:
    state: UpdateState
    config: ConfigStore
    running: Firmware
    booted_slot: str
    data_dir: Path
    support_until: Callable[[], date | None]
    active_calls: Callable[[], int]
    reboot: Callable[[], None]
    boot_id: Callable[[], str]
    rauc: Rauc
    # Where a bundle from a URL is downloaded to (agent-only); data_dir/update-download if None.
    download_dir: Path | None = None
    # A download with no data for this long fails ("no data from <host> for 60 s").
    stall_seconds: float = fetch.STALL_SECONDS
    # Told once RAUC has written the slot and switched the boot order (RAUC's view refreshed:
    # a job that then waits for calls to end must not show the slots as before).
    slots_changed: Callable[[], object] = lambda: None


def other_slot(bootname: str) -> str:
    return "B" if bootname == "A" else "A"


def check_source(request: InstallRequest, data_dir: Path) -> None:
    """Quick checks answered at once: the file or URL is there, /data has room."""
    free = shutil.disk_usage(data_dir).free
    if free < MIN_FREE_BYTES:
        raise Refused(
            f"data partition full: {free // 1024**2} MiB free on {data_dir}, "
            f"an install needs {MIN_FREE_BYTES // 1024**2} MiB"
        )
    if request.is_url:
        check_url(request.source)
    elif not Path(request.source).is_file():
        raise Refused(f"no such bundle file: {request.source}")


_VERITY_LINES = {
    "hash": re.compile(r"Verity Hash:\s*'([0-9a-f]+)'"),
    "salt": re.compile(r"Verity Salt:\s*'([0-9a-f]+)'"),
    "size": re.compile(r"Verity Size:\s*(\d+)"),
}


def verity_params(bundle: Path) -> tuple[str, str, int]:
    """The signed verity root hash, salt and hash tree size (`rauc info`)."""
    try:
        result = runner.run(["rauc", "info", str(bundle)], timeout=RAUC_INFO_TIMEOUT_SECONDS)
    except runner.CommandError as error:
        detail = runner.last_line(error.stderr, error.stdout) or str(error)
        raise Refused(f"bundle refused: {detail}") from error
    found = {key: pattern.search(result.stdout) for key, pattern in _VERITY_LINES.items()}
    if not all(found.values()):
        detail = runner.last_line(result.stderr, result.stdout) or "not a verity bundle"
        raise Refused(f"bundle refused: {detail}")
    hash_, salt, size = (m.group(1) for m in found.values() if m)
    return hash_, salt, int(size)


def bundle_firmware(info: BundleInfo) -> Firmware:
    return Firmware(
        version=info.meta.get("version") or info.version,
        build_date=info.meta.get("build-date") or info.build,
        min_version=info.meta.get("min-version") or "0.0.0",
    )


class Installer:
    def __init__(self, deps: InstallDeps) -> None:
        self.deps = deps

    def run(self, job: Job, request: InstallRequest) -> str:
        """The install job's work, run by the job registry (which ends the job with what this
        returns or raises); a refusal or failure is also kept as the last install."""
        try:
            message = self._install(job, request)
        except Refusal as error:  # policy's Refused, an unreadable support date
            self._record(job, "refused", str(error))
            raise
        except (RaucError, OSError) as error:
            message = f"install failed: {error}"
            self._record(job, "failed", message)
            raise Failure(message) from error
        except Exception as error:
            self._record(job, "failed", f"install failed: {failure_reason(error)}")
            raise  # the registry logs its traceback
        return message  # the registry logs how the job ended

    def _record(self, job: Job, state: str, message: str) -> None:
        result = {"result": state, "message": message, "source": job.source, "at": now_iso()}
        self.deps.state.update(last_install=result)

    def _install(self, job: Job, request: InstallRequest) -> str:
        if not request.is_url:
            return self._install_file(job, request, Path(request.source))
        bundle = self._download(job, request.source)
        try:
            return self._install_file(job, request, bundle)
        finally:
            bundle.unlink(missing_ok=True)

    @property
    def download_target(self) -> Path:
        directory = self.deps.download_dir or self.deps.data_dir / "update-download"
        return directory / "bundle.raucb"

    def discard_download(self) -> None:
        """A download the agent did not finish (it stopped meanwhile) only takes room."""
        self.download_target.unlink(missing_ok=True)

    def _download(self, job: Job, url: str) -> Path:
        """The one fetch of the bundle: the file inspected is the file installed."""
        target = self.download_target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.parent.chmod(0o700)
        room = shutil.disk_usage(target.parent).free - MIN_FREE_BYTES

        shown = [0]

        def progress(done: int, size: int | None) -> None:
            # A line in the job's log every tenth of the bundle (or 64 MiB), not every chunk.
            every = max(size // 10, fetch.MIB) if size else 64 * fetch.MIB
            if done // every == shown[0] and done != size:
                return
            shown[0] = done // every
            whole = f" of {size // fetch.MIB} MiB" if size else ""
            job.step(1, f"downloading the bundle: {done // fetch.MIB} MiB{whole}")

        job.step(1, f"downloading the bundle from {url}")
        fetch.download(url, target, room, progress, stall_seconds=self.deps.stall_seconds)
        return target

    def _install_file(self, job: Job, request: InstallRequest, source: Path) -> str:
        deps = self.deps
        job.step(2, "checking the bundle's signature")
        try:
            info = deps.rauc.inspect(str(source))
        except RaucError as error:
            raise Refused(f"bundle refused: {error}") from error
        bundle = bundle_firmware(info)
        policy.check_compatible(info.compatible, deps.running.compatible)
        policy.check_versions(bundle, deps.running)
        policy.check_entitlement(bundle, deps.support_until())
        self._verify_payload(job, source)
        job.step(8, "keeping a copy of the configuration")
        deps.config.snapshot()
        target = other_slot(deps.booted_slot)
        job.step(10, f"writing firmware {bundle.version} to slot {target}")
        self._rauc_install(job, str(source))
        deps.slots_changed()
        if source == self.download_target:
            self.discard_download()  # written: its room is free again, before any wait for calls
        deps.state.set_slot(target, bundle.version, bundle.build_date)
        deps.state.update(
            pending={
                "slot": target,
                "version": bundle.version,
                "from_slot": deps.booted_slot,
                "from_version": deps.running.version,
                "boot_id": deps.boot_id(),
                "kind": "install",
            },
            last_install={
                "result": "ok",
                "message": f"firmware {bundle.version} installed to slot {target}",
                "source": job.source,
                "at": now_iso(),
            },
        )
        done = f"firmware {bundle.version} installed to slot {target}; it boots next"
        if not request.reboot:
            return done + " (reboot when convenient)"
        return self._reboot_when_idle(job, request, done)

    def _rauc_install(self, job: Job, source: str) -> None:
        """RAUC writes the slot; a failure to mount the bundle (nothing written yet) is
        retried."""
        for attempt in range(1, MOUNT_ATTEMPTS + 1):
            try:
                self.deps.rauc.install(
                    source, lambda pct, text: job.step(10 + pct * 85 // 100, text)
                )
                return
            except RaucError as error:
                if attempt == MOUNT_ATTEMPTS or "Failed mounting bundle" not in str(error):
                    raise
                log.warning("RAUC could not mount the bundle (%s); attempt %d", error, attempt + 1)
                job.step(10, f"RAUC could not mount the bundle, trying again: {error}")
                time.sleep(MOUNT_RETRY_SECONDS)

    def _verify_payload(self, job: Job, bundle: Path) -> None:
        job.step(3, "checking the whole bundle against its signature")
        root, salt, size = verity_params(bundle)
        try:
            verity.check(bundle, root, salt, size, lambda f: job.step(3 + int(f * 5), job.message))
        except verity.BundleCorrupt as error:
            raise Refused(f"bundle refused: {error}") from error

    def _reboot_when_idle(self, job: Job, request: InstallRequest, done: str) -> str:
        deadline = time.monotonic() + request.idle_timeout
        while not request.force:
            calls = self._calls()
            if calls == 0:
                break
            if time.monotonic() >= deadline:
                return (
                    f"{done}; NOT rebooted: {calls} call(s) still active after "
                    f"{request.idle_timeout:.0f} s (reboot when idle, or use --force)"
                )
            job.step(96, f"waiting for {calls} active call(s) to end before rebooting")
            time.sleep(IDLE_POLL_SECONDS)
        job.step(99, "rebooting into the new firmware")
        self.deps.reboot()
        return f"{done}; rebooting"

    def _calls(self) -> int:
        try:
            return self.deps.active_calls()
        except Exception as error:  # noqa: BLE001 - no answer from Asterisk means no call up
            log.warning("cannot count active calls (%s): treating the PBX as idle", error)
            return 0
