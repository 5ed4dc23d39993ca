"""`orpheus-factory provision`: one unit, from fresh off the flash to sealed, over its console.

Steps, each reported and timed, the record saved after each:

    connect    wait (bounded) for the unit's factory console to answer `status`
    hardware   read the unit's hardware; the records must not hold it under another serial
    check      the hardware against the board's declared ranges (board/<b>/board.toml)
    keygen     the unit makes its own key pair (the private key never leaves the unit)
    identity   the station signs the identity with the factory key; the unit writes it once
    password   a random admin password (recorded before it is sent: nothing is lost)
    self-test  run on the unit; any failed step rejects it
    seal       the unit writes its identity for good and closes its console
    label      (with a label directory) the unit's label

Resumable: the unit's `status` says what it already has (its key, a written identity, the
password, a passed self-test) and those steps are kept, never redone; the key is never made
again once an identity is written. A unit whose record says sealed (or whose seal was sent)
and whose console no longer answers is reported done. A failed step ends the run with one
line; the unit is not sealed.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import string
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import serial
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from orpheus.factory.board_hardware import DeclaredHardware
from orpheus.factory.labels import write_label
from orpheus.factory.protocol import ConsoleClient, Link, LinkError, RemoteError
from orpheus.factory.records import FAILED, RUNNING, SEALED, Record, RecordError, RecordStore
from orpheus.factory.replies import (
    BadReply,
    SelfTest,
    UnitStatus,
    expect,
    parse_hardware,
    parse_public_key,
    parse_self_test,
    parse_status,
)
from orpheus.factory.unit_hardware import UnitHardware
from orpheus.licensing.factory_signature import Seal, check_seal, sign_identity
from orpheus.licensing.identity import SERIAL_PATTERN
from orpheus.licensing.tiers import BOARDS

STEPS = (
    "connect", "hardware", "check", "keygen", "identity", "password", "self-test", "seal",
    "label",
)  # fmt: skip
RUNNING_STATE, OK, KEPT, FAILED_STATE, DONE = "running", "ok", "kept", "failed", "done"
BAUD = 115200
RETRY_SECONDS = 0.5  # at most two `status` requests a second while waiting for the unit
# Unambiguous on a printed label (no 0/O, 1/l/I): 4 groups of 4 from 55 characters, 92 bits.
PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")

Report = Callable[[str, str, str], None]  # step, state, detail


class StepFailed(RuntimeError):
    """A step's one-line reason; the run ends there, the unit not sealed."""


@dataclass(frozen=True)
class Station:
    """What every unit of a run shares."""

    declared: DeclaredHardware
    signing_key: Ed25519PrivateKey
    records: RecordStore
    label_dir: Path | None = None
    operator: str | None = None
    wait_seconds: float = 90.0  # for the console to answer: the unit may still be booting
    reply_timeout: float = 5.0
    attempts: int = 6
    self_test_timeout: float = 60.0


@dataclass(frozen=True)
class Outcome:
    serial: str
    port: str
    result: str  # SEALED, FAILED or DONE (sealed by an earlier run)
    detail: str
    seconds: float
    bytes_sent: int
    bytes_received: int


def new_password() -> str:
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))


def key_sha256(public_pem: str) -> str:
    der = load_pem_public_key(public_pem.encode()).public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def open_port(port: str) -> Link:
    """A device, a pty's path or a pyserial URL (socket://host:port), 115200 8N1."""
    try:
        return serial.serial_for_url(port, baudrate=BAUD, timeout=0.05)  # type: ignore[no-any-return]
    except (serial.SerialException, ValueError) as error:
        raise StepFailed(f"cannot open {port}: {error}") from error


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class Provisioning:
    def __init__(
        self, station: Station, port: str, serial_number: str, report: Report, link: Link
    ) -> None:
        self.station = station
        self.port = port
        self.serial = serial_number
        self.report = report
        self.client = ConsoleClient(link, timeout=station.reply_timeout)
        self.record = Record(serial_number, station.declared.board)
        self.status: UnitStatus | None = None
        self.hardware: UnitHardware | None = None

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> Outcome:
        started = time.monotonic()
        self.record = self._record()
        try:
            done_before = self._connect()
            if not done_before:
                for name, step in (
                    ("hardware", self._hardware),
                    ("check", self._check),
                    ("keygen", self._keygen),
                    ("identity", self._identity),
                    ("password", self._password),
                    ("self-test", self._self_test),
                    ("seal", self._seal),
                ):
                    with self._step(name) as detail:
                        detail.append(step())
            if self.station.label_dir is not None:  # again when done: a label lost, reprinted
                with self._step("label") as detail:
                    detail.append(str(write_label(self.record, self.station.label_dir)))
        except StepFailed as failed:
            return self._finish(FAILED, str(failed), started)
        if done_before:
            return self._finish(DONE, f"{self.serial} was sealed by an earlier run", started)
        return self._finish(SEALED, f"sealed as {self.serial}", started)

    def _record(self) -> Record:
        try:
            held = self.station.records.load(self.serial)
        except RecordError as error:
            self.report("records", FAILED_STATE, str(error))
            raise StepFailed(f"records: {error}") from error
        board = self.station.declared.board
        if held is not None and held.board != board:
            reason = f"records: {self.serial} is recorded as a {held.board}, not a {board}"
            self.report("records", FAILED_STATE, reason)
            raise StepFailed(reason)
        record = held or Record(self.serial, board, started=_now())
        record.port, record.operator = self.port, self.station.operator or record.operator
        if record.result != SEALED:
            record.result, record.error = RUNNING, None
        return record

    def _finish(self, result: str, detail: str, started: float) -> Outcome:
        # A sealed unit's record keeps saying so, whatever fails after the seal (its label)
        # or in a later run (another unit on the port).
        if result == DONE or self.record.result == SEALED:
            self.record.result, self.record.error = SEALED, None
        else:
            self.record.result, self.record.error = result, detail
        self.record.finished = _now()
        counts = self.record.serial_bytes
        counts["sent"] = counts.get("sent", 0) + self.client.bytes_written
        counts["received"] = counts.get("received", 0) + self.client.bytes_read
        try:
            self.station.records.save(self.record)
        except OSError as error:  # the unit's state is on the unit: this run must say so
            result, detail = FAILED, f"records: cannot save {self.serial}: {error}"
        return Outcome(
            self.serial, self.port, result, detail, time.monotonic() - started,
            self.client.bytes_written, self.client.bytes_read,
        )  # fmt: skip

    @contextmanager
    def _step(self, name: str) -> Iterator[list[str]]:
        """Reports and times the step; its body appends its detail (KEPT: prefixed 'kept')."""
        self.report(name, RUNNING_STATE, "")
        started = time.monotonic()
        detail: list[str] = []
        try:
            yield detail
        except (StepFailed, LinkError, RemoteError, BadReply, OSError, ValueError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            self._note(name, FAILED_STATE, reason, started)
            raise StepFailed(f"{name}: {reason}") from error
        text = detail[0] if detail else ""
        try:
            self._note(name, KEPT if text.startswith("kept") else OK, text, started)
        except OSError as error:  # the record not saved: the next step must not run
            self.report(name, FAILED_STATE, f"records: {error}")
            raise StepFailed(f"{name}: records: cannot save {self.serial}: {error}") from error

    def _note(self, name: str, state: str, detail: str, started: float) -> None:
        seconds = round(time.monotonic() - started, 3)
        self.record.steps[name] = {"result": state, "seconds": seconds, "detail": detail}
        if state != FAILED_STATE:
            self.station.records.save(self.record)
        self.report(name, state, detail)

    # -- steps -------------------------------------------------------------------------------
    def _connect(self) -> bool:
        """True when the unit is sealed already (by the records' run); else its status."""
        with self._step("connect") as detail:
            sealed_here = self.record.result == SEALED or self.record.seal_requested
            status = self._wait_for_status()
            if status is None or status.sealed:
                if sealed_here:
                    detail.append(
                        ("the unit says it is sealed" if status else "the unit is silent")
                        + (
                            ", as the records say"
                            if self.record.result == SEALED
                            else ": the seal sent by an earlier run was taken"
                        )
                    )
                    return True
                if status is None and self.client.reader.corrupt:
                    raise StepFailed(
                        f"only garbage from the unit on {self.port}: "
                        f"{self.client.reader.corrupt} broken frames and no valid one in "
                        f"{self.station.wait_seconds:.0f} s (a noisy line, or not its console)"
                    )
                if status is None:
                    raise StepFailed(
                        f"no answer from the unit on {self.port} within "
                        f"{self.station.wait_seconds:.0f} s (powered, on this image, this port?)"
                    )
                raise StepFailed(
                    f"the unit on {self.port} is sealed and the records do not hold it as "
                    f"{self.serial}: nothing changed"
                )
            if self.record.result == SEALED:
                raise StepFailed(
                    f"the records say {self.serial} was sealed, but the unit on {self.port} "
                    "is not: another unit, or this one flashed again (nothing changed)"
                )
            self.status = status
            self.record.firmware, self.record.seal_requested = status.firmware, False
            detail.append(f"firmware {status.firmware or '?'}, " + self._has(status))
        return False

    @staticmethod
    def _has(status: UnitStatus) -> str:
        held = [
            name
            for name, present in (
                ("key", status.public_key is not None),
                ("identity", status.identity is not None),
                ("password", status.password_set),
                ("self-test passed", status.self_test_passed),
            )
            if present
        ]
        return "fresh unit" if not held else "already has: " + ", ".join(held)

    def _wait_for_status(self) -> UnitStatus | None:
        """The unit's status; None when it stayed silent; sealed when it said so."""
        client = self.client
        client.timeout, client.attempts = min(1.0, self.station.reply_timeout), 1
        deadline = time.monotonic() + self.station.wait_seconds
        try:
            while True:
                asked = time.monotonic()
                try:
                    return parse_status(client.call("status"))
                except LinkError:
                    if time.monotonic() >= deadline:
                        return None
                    # a line answering garbage at once is not flooded with requests
                    time.sleep(max(0.0, asked + RETRY_SECONDS - time.monotonic()))
                except RemoteError as error:
                    if "sealed" in str(error):  # a sealed unit's last answers, in its grace time
                        return UnitStatus(True, None, None, False, False, None)
                    raise
        finally:
            client.timeout, client.attempts = self.station.reply_timeout, self.station.attempts

    def _hardware(self) -> str:
        hardware = parse_hardware(self.client.call("hardware"))
        recorded = self.record.fingerprint
        # A serial whose identity was made for other hardware stays with it; one given to a
        # unit refused before its identity may go to the next.
        if self.record.identity is not None and recorded != hardware.fingerprint:
            raise StepFailed(
                f"the records hold {self.serial} for other hardware (fingerprint {recorded}), "
                f"this unit is {hardware.fingerprint}"
            )
        self._check_not_recorded_elsewhere(hardware)
        self.hardware = hardware
        self.record.hardware = hardware.as_dict()
        disk = hardware.disk
        return (
            f"{hardware.ram_bytes / (1 << 30):.2f} GiB RAM, "
            f"disk {disk.model if disk else '-'} {(disk.size_bytes if disk else 0) / 1e9:.1f} GB, "
            f"{hardware.cpus} CPUs, {len(hardware.nics)} NICs, fingerprint {hardware.fingerprint}"
        )

    def _check_not_recorded_elsewhere(self, hardware: UnitHardware) -> None:
        """No other serial's identity was made for this hardware or one of its MACs."""
        macs = {nic.mac for nic in hardware.nics if nic.mac}
        for other in self.station.records.all():
            if other.serial == self.serial or other.identity is None:
                continue
            if other.fingerprint == hardware.fingerprint:
                raise StepFailed(f"this unit is already recorded as serial {other.serial}")
            shared = macs & set(other.identity.get("macs") or [])
            if shared:
                raise StepFailed(
                    f"MAC {min(shared)} is already recorded for serial {other.serial}: "
                    "two units with one MAC"
                )

    def _check(self) -> str:
        problems = self.station.declared.problems(self._unit_hardware())
        if problems:
            raise StepFailed(f"not a {self.station.declared.board}: " + "; ".join(problems))
        return f"as declared for a {self.station.declared.board}"

    def _keygen(self) -> str:
        status = self._unit_status()
        if status.public_key is not None:
            public = status.public_key
            text = "kept the unit's key"
        else:
            public = parse_public_key(self.client.call("keygen").get("public_key"))
            text = "made on the unit"
        self.record.public_key, self.record.key_sha256 = public, key_sha256(public)
        return f"{text}, sha256 {self.record.key_sha256[:16]}"

    def _identity(self) -> str:
        held = self._unit_status().identity
        if held is not None:
            self._check_held_identity(held)
            self.record.identity = held
            return f"kept the identity the unit holds ({self.serial})"
        document = sign_identity(self._identity_fields(), self.station.signing_key)
        self.record.identity = document
        self.station.records.save(self.record)  # what the unit is about to hold
        reply = self.client.call("write-identity", {"identity": document})
        expect(reply, "write-identity", serial=self.serial)
        return f"signed and written ({document['manufactured']})"

    def _identity_fields(self) -> dict[str, Any]:
        hardware = self._unit_hardware()
        board = self.station.declared.board
        return {
            "serial": self.serial,
            "board": board,
            "tier": BOARDS[board].base,
            "mac": hardware.mac,
            "macs": [nic.mac for nic in hardware.nics if nic.mac],
            "product_uuid": hardware.product_uuid,
            "disk_serial": hardware.disk.serial if hardware.disk else None,
            "fingerprint": hardware.fingerprint,
            "manufactured": datetime.datetime.now(datetime.UTC).date().isoformat(),
            "public_key": self.record.public_key,
        }

    def _check_held_identity(self, held: dict[str, Any]) -> None:
        """An identity the unit wrote in an earlier run: ours, for this unit, or refused."""
        seal = check_seal(held, self.station.signing_key.public_key())
        if seal is not Seal.SIGNED:
            raise StepFailed(
                f"the unit holds an identity not signed by this factory key: {seal.value}"
            )
        hardware = self._unit_hardware()
        for name, wanted in (
            ("serial", self.serial),
            ("board", self.station.declared.board),
            ("fingerprint", hardware.fingerprint),
            ("mac", hardware.mac),
            ("public_key", self.record.public_key),
        ):
            if held.get(name) != wanted:
                shown = held.get(name) if name != "public_key" else "another key"
                raise StepFailed(
                    f"the unit already holds an identity with {name} {shown!r}: "
                    "it is written once (nothing changed)"
                )

    def _password(self) -> str:
        if self._unit_status().password_set and self.record.admin_password:
            return "kept the recorded password"
        self.record.admin_password = self.record.admin_password or new_password()
        self.station.records.save(self.record)  # recorded before the unit has it
        reply = self.client.call("set-password", {"password": self.record.admin_password})
        expect(reply, "set-password", must_change=True)
        return "set (to be changed at the first log-in)"

    def _self_test(self) -> str:
        previous = self.record.self_test
        if self._unit_status().self_test_passed and previous and previous.get("passed"):
            return "kept the passed self-test"
        self.client.timeout = self.station.self_test_timeout
        try:
            result = parse_self_test(self.client.call("self-test"))
        finally:
            self.client.timeout = self.station.reply_timeout
        self.record.self_test = {
            "passed": result.passed,
            "steps": [asdict(s) for s in result.steps],
        }
        if not result.passed:
            raise StepFailed(_failed_steps(result))
        return ", ".join(step.name for step in result.steps) + " passed"

    def _seal(self) -> str:
        self.record.seal_requested = True
        self.station.records.save(self.record)
        expect(self.client.call("seal"), "seal", sealed=True, serial=self.serial)
        self.record.result = SEALED
        return "sealed: the console is closed"

    # -- helpers -----------------------------------------------------------------------------
    def _unit_status(self) -> UnitStatus:
        assert self.status is not None  # set by _connect before any other step runs
        return self.status

    def _unit_hardware(self) -> UnitHardware:
        assert self.hardware is not None  # set by _hardware
        return self.hardware


def _failed_steps(result: SelfTest) -> str:
    return "failed: " + "; ".join(f"{step.name}: {step.detail}" for step in result.failed())


def provision(station: Station, port: str, serial_number: str, report: Report) -> Outcome:
    """One unit on one port: never raises for the unit's faults, says them in the Outcome."""
    started = time.monotonic()
    if not SERIAL_PATTERN.fullmatch(serial_number):
        reason = f"bad serial {serial_number[:64]!r}: 3-64 letters, digits, '.', '_' or '-'"
        report("records", FAILED_STATE, reason)
        return Outcome(serial_number, port, FAILED, reason, 0.0, 0, 0)
    try:
        link = open_port(port)
    except StepFailed as error:
        report("connect", FAILED_STATE, str(error))
        return Outcome(serial_number, port, FAILED, f"connect: {error}", 0.0, 0, 0)
    try:
        return Provisioning(station, port, serial_number, report, link).run()
    except StepFailed as error:  # the records could not be read
        return Outcome(serial_number, port, FAILED, str(error), time.monotonic() - started, 0, 0)
    finally:
        close = getattr(link, "close", None)
        if close is not None:
            close()
