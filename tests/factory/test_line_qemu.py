"""The factory line on QEMU units (TCG, q35, OVMF), from a built image to a sealed unit.

The image is flashed onto a file with `orpheus-factory flash`; unit A boots from that file on a
Mini's 15 GiB disk, unit B from the image on an 8 GiB disk (too small for a Mini). Each has
its serial console on a TCP socket, which the station opens with pyserial as
socket://127.0.0.1:PORT as it would /dev/ttyUSB0. A's first provisioning run loses its cable
half way; one `orpheus-factory batch` over both units then takes A up where it stopped (its
key and identity kept) and seals it, and refuses B. Everything on the units is the image's
own: the getty's factory console, Asterisk, the agent, the self-test and the seal.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orpheus.factory.board_hardware import load_declared
from orpheus.factory.protocol import ConsoleClient, LinkError
from orpheus.factory.provision import Outcome, Station, open_port, provision
from orpheus.factory.records import RecordStore
from orpheus.factory.station import DEV_FACTORY_KEY
from orpheus.licensing.factory_signature import load_signing_key
from testbed.paths import LOG_DIR, SOURCE_DIR
from testbed.serial_cable import SerialCable
from testbed.vm import Vm, VmConfig, free_port

SERIAL_A, SERIAL_B = "ORP-MINI-Q0001", "ORP-MINI-Q0002"
# How long a unit may take to boot to its factory console under TCG, two guests at once.
CONSOLE_WAIT_SECONDS = 600.0


@dataclass
class Line:
    work: Path
    flash_output: str
    a: Vm
    b: Vm

    @property
    def records(self) -> Path:
        return self.work / "records"

    @property
    def labels(self) -> Path:
        return self.work / "labels"

    def station(self) -> Station:
        return Station(
            declared=load_declared("mini"),
            signing_key=load_signing_key(SOURCE_DIR / DEV_FACTORY_KEY),
            records=RecordStore(self.records),
            label_dir=self.labels,
            wait_seconds=CONSOLE_WAIT_SECONDS,
        )

    def record(self, serial: str) -> dict[str, object]:
        return json.loads((self.records / f"{serial}.json").read_text())  # type: ignore[no-any-return]


def factory(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orpheus.factory", *args],
        capture_output=True, text=True, check=False, cwd=SOURCE_DIR, timeout=1800,
    )  # fmt: skip


def unit(image: Path, workdir: Path, disk_size: str, number: int) -> Vm:
    workdir.mkdir()
    return Vm(
        VmConfig(
            image=image, workdir=workdir, admin_password=None, disk_size=disk_size,
            serial_port=free_port(), mac=f"52:54:00:0f:a0:0{number}",
            disk_serial=f"ORPSSD-Q000{number}",
            extra_args=["-uuid", f"4f727068-6575-4000-8000-00000000000{number}"],  # DMI
        )
    )  # fmt: skip


@pytest.fixture(scope="module")
def line(image: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    work = tmp_path_factory.mktemp("factory-line")
    flashed = work / "unit-a-disk.img"
    flashing = factory("flash", "--image", str(image), "--target", str(flashed))
    assert flashing.returncode == 0, flashing.stderr
    made = Line(
        work, flashing.stdout, unit(flashed, work / "a", "15G", 1), unit(image, work / "b", "8G", 2)
    )
    for guest in (made.a, made.b):
        guest.start()
    try:
        for guest in (made.a, made.b):
            wait_for_the_cable(guest)
        yield made
    finally:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        for name, guest in (("a", made.a), ("b", made.b)):
            guest.shutdown()
            shutil.copy(guest.console_log, LOG_DIR / f"console-factory-unit-{name}.log")


def wait_for_the_cable(guest: Vm) -> None:
    """QEMU's serial socket listening (a real serial port is there before power-on)."""
    for _ in range(100):
        assert guest.running(), f"QEMU ended; see {guest.console_log}"
        try:
            socket.create_connection(("127.0.0.1", guest.config.serial_port or 0), 1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"QEMU's serial socket {guest.config.serial_port} never listened")


def _port(guest: Vm) -> str:
    return f"socket://127.0.0.1:{guest.config.serial_port}"


def wake(guest: Vm) -> None:
    """A station's first frame within the unit's window, so its console stays open (what the
    batch's own wait does; done ahead here because A's first run comes first)."""
    link = open_port(_port(guest))
    try:
        client = ConsoleClient(link, timeout=1.0, attempts=1)
        for _ in range(int(CONSOLE_WAIT_SECONDS)):
            try:
                client.call("status")
                return
            except LinkError:
                continue
        raise AssertionError(f"the unit on {_port(guest)} never answered")
    finally:
        link.close()


def cut_at_password(line: Line) -> Outcome:
    """A's first run, its cable pulled once the identity is written."""
    with SerialCable(line.a.config.serial_port or 0) as cable:

        def report(step: str, state: str, _detail: str) -> None:
            if (step, state) == ("password", "running"):
                cable.cut()

        return provision(line.station(), cable.url, SERIAL_A, report)


def test_flash_writes_the_image_to_a_file_target_and_says_how_fast(line: Line) -> None:
    assert "MB/s" in line.flash_output or "MiB/s" in line.flash_output, line.flash_output


def test_a_cut_link_is_taken_up_by_a_batch_that_seals_a_and_refuses_the_small_disk(
    line: Line,
) -> None:
    waking = threading.Thread(target=wake, args=(line.b,), daemon=True)
    waking.start()
    first = cut_at_password(line)
    assert first.result == "failed" and first.detail.startswith("password:"), first.detail
    kept = line.record(SERIAL_A)
    assert kept["steps"]["identity"]["result"] == "ok"  # type: ignore[index]
    waking.join(timeout=CONSOLE_WAIT_SECONDS)

    serials = line.work / "serials.txt"
    serials.write_text(f"{SERIAL_A}\n{SERIAL_B}\n")
    started = time.monotonic()
    batch = factory(
        "batch", "--ports", f"{_port(line.a)},{_port(line.b)}", "--serials", str(serials),
        "--board", "mini", "--records", str(line.records), "--label-dir", str(line.labels),
        "--wait", str(CONSOLE_WAIT_SECONDS),
    )  # fmt: skip
    assert batch.returncode == 1, batch.stdout + batch.stderr
    assert "1 of 2 units sealed or done, 1 failed" in batch.stdout, batch.stdout
    assert f"{SERIAL_A}: keygen kept" in batch.stdout  # resumed: never a second key
    assert f"{SERIAL_A}: seal ok" in batch.stdout
    assert f"{SERIAL_B}: check failed" in batch.stdout and "disk" in batch.stdout
    sealed, refused = line.record(SERIAL_A), line.record(SERIAL_B)
    assert sealed["result"] == "sealed" and refused["result"] == "failed"
    assert sealed["public_key"] == kept["public_key"]
    steps = {step["name"]: step for step in sealed["self_test"]["steps"]}  # type: ignore[index]
    assert all(step["passed"] for step in steps.values())
    assert {"disk", "ram", "rtc", "boot-order", "asterisk", "sip"} <= set(steps)
    keep_figures(line, sealed, time.monotonic() - started)


def keep_figures(line: Line, sealed: dict[str, object], batch_seconds: float) -> None:
    """The real unit's provisioning figures, for the README and bench (not asserted)."""
    figures = {
        "batch_seconds": round(batch_seconds, 1),
        "steps_seconds": {name: step["seconds"] for name, step in sealed["steps"].items()},  # type: ignore[attr-defined]
        "serial_bytes": sealed["serial_bytes"],
        "flash": line.flash_output.strip(),
    }
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "factory-line.json").write_text(json.dumps(figures, indent=2) + "\n")


def test_the_sealed_unit_shows_its_signed_identity_to_the_labels_password(line: Line) -> None:
    record = line.record(SERIAL_A)
    password = str(record["admin_password"])
    label = next(line.labels.glob(f"{SERIAL_A}.*"))
    assert password.encode() in label.read_bytes()
    line.a.wait_healthy()  # the agent restarted with its identity at the seal
    status, answer = line.a.api("GET", "/api/v1/identity", password)
    assert status == 200, answer
    identity = answer["identity"]
    assert identity["serial"] == SERIAL_A and identity["board"] == "mini"
    assert identity["mac"] == "52:54:00:0f:a0:01"
    assert answer["seal"] == "signed" and answer["matches_hardware"] is True
    assert line.a.api("GET", "/api/v1/identity", "not-the-label-password")[0] == 401


def test_the_refused_unit_was_left_unsealed(line: Line) -> None:
    link = open_port(_port(line.b))
    try:
        status = ConsoleClient(link, timeout=2.0).call("status")
    finally:
        link.close()
    assert status["sealed"] is False and status["identity"] is None
