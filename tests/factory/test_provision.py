"""orpheus-factory provision, batch and records against testbed/factory_unit.py's fake units:
the unit's real console (orpheus.factory.console) served on a pty, which the station opens
with pyserial as it would /dev/ttyUSB0. Only the unit's hardware is fake (sysfs, /proc, /dev
laid out in a directory); the protocol, the signing, the records and the unit's state are real.
"""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import serial
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orpheus.auth import PasswordStore
from orpheus.factory import station
from orpheus.factory.board_hardware import load_declared
from orpheus.factory.console import UnitConsole
from orpheus.factory.protocol import MAX_LINE, ConsoleClient, FrameReader, Link, LinkError
from orpheus.factory.provision import Station, provision
from orpheus.factory.records import RecordStore
from orpheus.factory.reopen import reopen
from orpheus.licensing.factory_signature import (
    Seal,
    check_seal,
    load_factory_key,
    load_signing_key,
    sign_identity,
)
from testbed.factory_unit import (
    GIB,
    FactoryUnit,
    Hardware,
    ami_banner,
    console_on_pty,
    console_on_tcp,
    factory_key_pair,
    handler_on_pty,
    lay_out,
    other_end_on_pty,
)
from testbed.paths import SOURCE_DIR

BOARD_DIR = SOURCE_DIR / "board"
SERIAL = "ORP-MINI-0001"


class Line:
    """Where the station's side of a test lives: keys, records, labels, the fake units."""

    def __init__(self, root: Path, ami_port: int) -> None:
        self.root = root
        self.ami_port = ami_port
        self.factory_private, self.factory_public = factory_key_pair(root)
        self.records = root / "records"
        self.labels = root / "labels"

    def unit(self, name: str = "unit", hardware: Hardware | None = None) -> FactoryUnit:
        hardware = hardware or Hardware()
        lay_out(self.root / name, hardware)
        return FactoryUnit(
            self.root / name, hardware, self.ami_port, self.factory_public, self.factory_private
        )

    def options(self, wait: float = 5.0) -> list[str]:
        return [
            "--board", "mini", "--records", str(self.records), "--label-dir", str(self.labels),
            "--factory-key", str(self.factory_private), "--board-dir", str(BOARD_DIR),
            "--wait", str(wait), "--operator", "tester",
        ]  # fmt: skip

    def station(self, **changes: Any) -> Station:
        base = Station(
            declared=load_declared("mini", BOARD_DIR),
            signing_key=load_signing_key(self.factory_private),
            records=RecordStore(self.records),
            label_dir=self.labels,
            wait_seconds=3.0,
            reply_timeout=0.5,
            attempts=3,
        )
        return replace(base, **changes)

    def record(self, serial_number: str = SERIAL) -> dict[str, Any]:
        return dict(json.loads((self.records / f"{serial_number}.json").read_text()))


@pytest.fixture
def line(tmp_path: Path) -> Iterator[Line]:
    with ami_banner() as port:
        yield Line(tmp_path, port)


def provision_cli(
    line: Line, port: str, capsys: pytest.CaptureFixture[str], serial_number: str = SERIAL,
    wait: float = 5.0,
) -> tuple[int, str, str]:  # fmt: skip
    code = station.main(
        ["provision", "--port", port, "--serial-number", serial_number, *line.options(wait)]
    )
    out, err = capsys.readouterr()
    return code, out, err


def unit_sealed(unit: FactoryUnit) -> bool:
    return (unit.state_dir / "identity.json").exists()


def silent(port: str) -> bool:
    """Nothing answers a request on the line (a sealed unit's console is closed)."""
    link = serial.serial_for_url(port, baudrate=115200, timeout=0.05)
    try:
        ConsoleClient(link, timeout=0.5, attempts=2).call("status")
    except LinkError:
        return True
    finally:
        link.close()
    return False


def test_a_fresh_unit_is_provisioned_sealed_recorded_and_labelled(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = line.unit()
    with console_on_pty(unit) as console:
        code, out, err = provision_cli(line, console.port, capsys)
        assert (code, err) == (0, "")
        console.thread.join(timeout=10)
        assert not console.thread.is_alive()  # the console has ended: nothing answers now
        assert silent(console.port)
    for step in ("connect", "hardware", "check", "keygen", "identity", "password"):
        assert f"  {step:<10} ok" in out
    assert "  seal       ok      sealed" in out and f"{SERIAL}: sealed in" in out

    identity = json.loads((unit.state_dir / "identity.json").read_text())
    assert check_seal(identity, load_factory_key(line.factory_public)) is Seal.SIGNED
    assert identity["serial"] == SERIAL and identity["board"] == identity["tier"] == "mini"
    assert identity["macs"] == list(unit.hardware.macs)

    path = line.records / f"{SERIAL}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(line.records.stat().st_mode) == 0o700
    record = line.record()
    assert record["result"] == "sealed" and record["identity"] == identity
    assert record["hardware"]["ram_bytes"] == unit.hardware.ram_bytes
    assert record["self_test"]["passed"] is True
    assert {s["name"] for s in record["self_test"]["steps"]} >= {"data", "slots", "asterisk"}
    assert set(record["steps"]) >= {"connect", "keygen", "identity", "self-test", "seal"}
    assert all(step["seconds"] >= 0 for step in record["steps"].values())
    assert record["serial_bytes"]["sent"] > 0 and record["serial_bytes"]["received"] > 0
    assert "PRIVATE KEY" not in path.read_text()  # the unit's private key never left it
    password = record["admin_password"]
    store = PasswordStore(unit.state_dir)
    assert store.check("admin", password) and store.must_change()

    label = (line.labels / f"{SERIAL}.pdf").read_bytes()
    assert label.startswith(b"%PDF-")
    for text in (SERIAL, password, unit.hardware.macs[1], record["hardware"]["fingerprint"][:32]):
        assert text.encode() in label
    assert stat.S_IMODE((line.labels / f"{SERIAL}.pdf").stat().st_mode) == 0o600


def test_a_unit_behind_a_socket_url_is_provisioned(line: Line) -> None:
    """pyserial's socket:// URL, as a QEMU guest's serial port on TCP would be."""
    unit = line.unit()
    with console_on_tcp(unit) as url:
        outcome = provision(line.station(), url, SERIAL, lambda *a: None)
    assert outcome.result == "sealed", outcome.detail
    assert unit_sealed(unit)


def test_a_sealed_unit_whose_console_is_silent_is_reported_done(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = line.unit()
    with console_on_pty(unit) as console:
        assert provision_cli(line, console.port, capsys)[0] == 0
        console.thread.join(timeout=10)
        before = (unit.state_dir / "identity.json").read_bytes()
        code, out, err = provision_cli(line, console.port, capsys, wait=1.0)
    assert (code, err) == (0, "")
    assert "  connect    ok      the unit is silent, as the records say\n" in out
    assert f"{SERIAL}: done in" in out and "  seal" not in out
    assert (unit.state_dir / "identity.json").read_bytes() == before
    assert line.record()["result"] == "sealed"


@pytest.mark.parametrize(
    ("hardware", "reason"),
    [
        (Hardware(ram_bytes=4 * GIB - (64 << 20)), "RAM 3.94 GiB (declared 1.50 GiB to 2.00 GiB)"),
        (Hardware(disk_bytes=60_022_480_896), "disk 55.90 GiB (declared 14.00 GiB to 16.00 GiB)"),
        (Hardware(macs=()), "0 NICs (declared 1 to 4)"),
        (Hardware(disk_serial=""), "the disk reports no serial"),
    ],
)
def test_a_unit_with_the_wrong_hardware_is_refused_and_left_as_it_was(
    line: Line, capsys: pytest.CaptureFixture[str], hardware: Hardware, reason: str
) -> None:
    unit = line.unit(hardware=hardware)
    with console_on_pty(unit) as console:
        code, _out, err = provision_cli(line, console.port, capsys)
        assert not silent(console.port)  # still answering: not sealed
    assert code == 1
    assert err.count("\n") == 1 and f"{SERIAL}: check: not a mini: " in err and reason in err
    assert not unit_sealed(unit)
    assert not (unit.state_dir / "unit-identity.key.pem").exists()  # nothing made on it
    record = line.record()
    assert record["result"] == "failed" and record["error"].startswith("check: not a mini")


def test_a_unit_failing_a_self_test_step_is_refused_and_not_sealed(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = line.unit(hardware=Hardware(slots=("rootfs-a",)))
    with console_on_pty(unit) as console:
        code, out, err = provision_cli(line, console.port, capsys)
        assert not silent(console.port)
    assert code == 1
    assert err == (
        f"orpheus-factory: {SERIAL}: self-test: failed: slots: "
        "firmware slot partition missing: rootfs-b\n"
    )
    assert "  seal" not in out
    assert not unit_sealed(unit)
    record = line.record()
    assert record["result"] == "failed" and record["self_test"]["passed"] is False
    assert record["identity"] is not None  # written: a later run keeps it


def test_a_link_cut_half_way_is_taken_up_where_it_stopped_without_re_keying(
    line: Line,
) -> None:
    unit = line.unit()
    steps: list[tuple[str, str]] = []
    with console_on_pty(unit) as console:

        def cut_at_password(step: str, state: str, _detail: str) -> None:
            steps.append((step, state))
            if (step, state) == ("password", "running"):
                console.link.cut.set()  # the cable pulled after the identity was written

        first = provision(line.station(), console.port, SERIAL, cut_at_password)
        assert first.result == "failed" and first.detail.startswith("password: ")
        assert "no valid reply" in first.detail
        pending = json.loads((unit.state_dir / "factory/identity.json").read_text())
        key_pem = (unit.state_dir / "unit-identity.key.pem").read_bytes()
        assert not unit_sealed(unit)

        console.link.cut.clear()  # plugged back in
        steps.clear()
        second = provision(line.station(), console.port, SERIAL, lambda *a: steps.append(a[:2]))
    assert second.result == "sealed", second.detail
    assert ("keygen", "kept") in steps and ("identity", "kept") in steps
    assert ("password", "ok") in steps and ("seal", "ok") in steps
    assert (unit.state_dir / "unit-identity.key.pem").read_bytes() == key_pem
    assert json.loads((unit.state_dir / "identity.json").read_text()) == pending
    record = line.record()
    assert record["identity"] == pending and record["result"] == "sealed"


def test_a_seal_whose_reply_was_lost_is_found_done_on_the_next_run(line: Line) -> None:
    """The unit sealed, but its reply never came back (it answers too late): the next run
    finds it sealed and takes the seal as done, nothing sent again."""
    unit = line.unit()
    console = unit.console()
    late = threading.Event()

    def handler(request: str, args: dict[str, Any]) -> dict[str, Any]:
        reply = console.handle(request, args)
        if request == "seal":
            late.wait(3.0)  # longer than the station waits for a reply, all attempts together
        return reply

    with handler_on_pty(handler) as port:
        first = provision(line.station(), port, SERIAL, lambda *a: None)
        assert first.result == "failed" and first.detail.startswith("seal: ")
        assert unit_sealed(unit) and line.record()["seal_requested"] is True
        late.set()
        steps: list[tuple[str, str, str]] = []
        second = provision(line.station(), port, SERIAL, lambda *a: steps.append(a))
    assert second.result == "done"
    taken = "the unit says it is sealed: the seal sent by an earlier run was taken"
    assert ("connect", "ok", taken) in steps
    assert not [step for step in steps if step[0] in ("identity", "seal")]
    assert line.record()["result"] == "sealed"


def test_a_resumed_run_never_gives_the_unit_a_second_identity(line: Line) -> None:
    unit = line.unit()
    with console_on_pty(unit) as console:
        cut = console.link.cut

        def cut_at_password(step: str, state: str, _detail: str) -> None:
            if (step, state) == ("password", "running"):
                cut.set()

        assert provision(line.station(), console.port, SERIAL, cut_at_password).result == "failed"
        cut.clear()
        other = provision(line.station(), console.port, "ORP-MINI-0002", lambda *a: None)
    assert other.result == "failed"
    assert other.detail == ("hardware: this unit is already recorded as serial ORP-MINI-0001")
    assert not unit_sealed(unit)


def test_the_records_refuse_a_serial_already_given_to_other_hardware(line: Line) -> None:
    first = line.unit("first")
    with console_on_pty(first) as console:
        assert provision(line.station(), console.port, SERIAL, lambda *a: None).result == "sealed"
    second = line.unit("second", Hardware(product_uuid="7b1e0e2a-0000-4000-8000-000000000002"))
    with console_on_pty(second) as console:
        outcome = provision(line.station(), console.port, SERIAL, lambda *a: None)
    assert outcome.result == "failed"
    assert "the records say ORP-MINI-0001 was sealed, but the unit" in outcome.detail
    assert not unit_sealed(second) and line.record()["result"] == "sealed"


def test_a_serial_goes_to_other_hardware_only_if_no_identity_was_made_for_it(
    line: Line,
) -> None:
    refused = line.unit("refused", Hardware(ram_bytes=4 * GIB))
    with console_on_pty(refused) as console:
        outcome = provision(line.station(), console.port, SERIAL, lambda *a: None)
        assert outcome.detail.startswith("check: not a mini")
    half = line.unit("half", Hardware(slots=("rootfs-a",), product_uuid="second-unit-uuid"))
    with console_on_pty(half) as console:  # takes the serial, gets its identity, fails
        outcome = provision(line.station(), console.port, SERIAL, lambda *a: None)
        assert outcome.detail.startswith("self-test: failed: slots")
    third = line.unit(
        "third", Hardware(product_uuid="third-unit-uuid", macs=("52:54:00:00:00:03",))
    )
    with console_on_pty(third) as console:
        outcome = provision(line.station(), console.port, SERIAL, lambda *a: None)
    assert outcome.result == "failed"
    fingerprint = line.record()["hardware"]["fingerprint"]
    assert outcome.detail.startswith(
        f"hardware: the records hold {SERIAL} for other hardware (fingerprint {fingerprint})"
    )
    assert not (third.state_dir / "unit-identity.key.pem").exists()


def test_a_second_unit_with_a_mac_already_recorded_is_refused(line: Line) -> None:
    with console_on_pty(line.unit("first")) as console:
        assert provision(line.station(), console.port, SERIAL, lambda *a: None).result == "sealed"
    clone = line.unit("clone", Hardware(product_uuid="7b1e0e2a-0000-4000-8000-000000000002"))
    with console_on_pty(clone) as console:
        outcome = provision(line.station(), console.port, "ORP-MINI-0002", lambda *a: None)
    assert outcome.result == "failed"
    assert outcome.detail == (
        "hardware: MAC 52:54:00:12:34:56 is already recorded for serial ORP-MINI-0001: "
        "two units with one MAC"
    )
    assert not (clone.state_dir / "unit-identity.key.pem").exists()


def test_a_unit_that_holds_another_serial_is_refused(line: Line) -> None:
    """Its identity written by another station (no record here): written once, so refused."""
    unit = line.unit()
    console = unit.console()
    hardware, key = console.handle("hardware", {}), console.handle("keygen", {})["public_key"]
    fields = {
        "serial": "ORP-MINI-0042", "board": "mini", "tier": "mini", "mac": hardware["mac"],
        "macs": [n["mac"] for n in hardware["nics"]], "product_uuid": hardware["product_uuid"],
        "disk_serial": hardware["disk"]["serial"], "fingerprint": hardware["fingerprint"],
        "manufactured": "2026-12-01", "public_key": key,
    }  # fmt: skip
    signing = load_signing_key(line.factory_private)
    console.handle("write-identity", {"identity": sign_identity(fields, signing)})
    with console_on_pty(unit) as line_:
        outcome = provision(line.station(), line_.port, SERIAL, lambda *a: None)
    assert outcome.result == "failed"
    assert outcome.detail == (
        "identity: the unit already holds an identity with serial 'ORP-MINI-0042': "
        "it is written once (nothing changed)"
    )


def test_a_silent_port_fails_with_one_line(line: Line, capsys: pytest.CaptureFixture[str]) -> None:
    with other_end_on_pty(lambda link: FrameReader(link).read(0.2) and None) as port:
        code, _out, err = provision_cli(line, port, capsys, wait=1.0)
    assert code == 1
    assert err == (
        f"orpheus-factory: {SERIAL}: connect: no answer from the unit on {port} within 1 s "
        "(powered, on this image, this port?)\n"
    )


def test_a_serial_that_could_be_a_path_is_refused_before_the_port_is_opened(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = provision_cli(line, "/dev/nonexistent", capsys, serial_number="../../x")
    assert (
        code == 1
        and err
        == "orpheus-factory: ../../x: bad serial '../../x': 3-64 letters, digits, '.', '_' or '-'\n"
    )
    assert "connect" not in out and not line.records.exists()


def test_a_port_that_cannot_be_opened_fails_with_one_line(
    line: Line, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = provision_cli(line, str(tmp_path / "ttyUSB9"), capsys)
    assert code == 1 and err.count("\n") == 1 and "connect: cannot open" in err


# -- hostile consoles --------------------------------------------------------------------------
def garbage(link: Link) -> None:
    """Answers every line with frames that are marked but broken, and console noise."""
    if FrameReader(link).read(0.2) is not None:
        link.write(b"\n@ORF1 bm90IGpzb24= 00000000\n[   12.3] kernel noise\n@ORF1 ###\n")


def oversize(link: Link) -> None:
    if FrameReader(link).read(0.2) is not None:
        link.write(b"\n@ORF1 " + b"A" * (MAX_LINE + 100) + b" 00000000\n")


@pytest.mark.parametrize("answer", [garbage, oversize])
def test_garbage_and_oversize_frames_are_rejected_with_one_line(
    line: Line, capsys: pytest.CaptureFixture[str], answer: Any
) -> None:
    with other_end_on_pty(answer) as port:
        code, _out, err = provision_cli(line, port, capsys, wait=1.0)
    assert code == 1 and err.count("\n") == 1
    assert f"connect: only garbage from the unit on {port}" in err
    record = line.record()
    assert record["result"] == "failed" and record["admin_password"] is None


def forged(document: dict[str, Any]) -> dict[str, Any]:
    return sign_identity(document | {"serial": SERIAL}, Ed25519PrivateKey.generate())


TAMPERS = {
    # the unit claims to hold an identity signed by someone else's key
    "forged identity": (
        "status",
        lambda r, c: r | {"identity": forged(_fields(c))},
        "identity: the unit holds an identity not signed by this factory key: altered",
    ),
    # write-identity answers for another serial than the one sent
    "other serial": (
        "write-identity",
        lambda r, c: r | {"serial": "ORP-MINI-0666"},
        "identity: write-identity: the unit answered serial='ORP-MINI-0666', not",
    ),
    # hardware whose fingerprint is not the digest of its facts
    "fingerprint": (
        "hardware",
        lambda r, c: r | {"fingerprint": "0" * 32},
        "hardware: hardware.fingerprint: not the digest of the DMI UUID and disk serial",
    ),
    # a NIC name with a terminal escape in it
    "escape": (
        "hardware",
        lambda r, c: r | {"nics": [{"name": "eth0\x1b[2J", "mac": r["mac"]}]},
        "hardware: hardware.nics[0].name: not a printable string",
    ),
    "seal denied": (
        "seal",
        lambda r, c: {"sealed": False},
        "seal: seal: the unit answered sealed=False, not True",
    ),
}


def _fields(console: UnitConsole) -> dict[str, Any]:
    hardware = console.handle("hardware", {})
    return {
        "serial": SERIAL, "board": "mini", "tier": "mini", "mac": hardware["mac"],
        "macs": [n["mac"] for n in hardware["nics"]], "product_uuid": hardware["product_uuid"],
        "disk_serial": hardware["disk"]["serial"], "fingerprint": hardware["fingerprint"],
        "manufactured": "2026-12-01", "public_key": console.handle("keygen", {})["public_key"],
    }  # fmt: skip


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_a_reply_altered_by_the_unit_is_rejected_with_one_line(
    line: Line, capsys: pytest.CaptureFixture[str], tamper: str
) -> None:
    op, change, reason = TAMPERS[tamper]
    unit = line.unit()
    console = unit.console()

    def handler(request: str, args: dict[str, Any]) -> dict[str, Any]:
        reply = console.handle(request, args)
        return dict(change(reply, console)) if request == op else reply

    with handler_on_pty(handler) as port:
        code, _out, err = provision_cli(line, port, capsys)
    assert code == 1 and err.count("\n") == 1
    assert f"orpheus-factory: {SERIAL}: {reason}" in err
    assert line.record()["result"] == "failed"
    if op != "seal":
        assert not unit_sealed(unit)


# -- batch -----------------------------------------------------------------------------------
def units(line: Line, count: int, odd: Hardware | None = None) -> list[FactoryUnit]:
    made = []
    for index in range(count):
        hardware = Hardware(
            product_uuid=f"4c4c4544-0042-3510-8052-00000000000{index}",
            disk_serial=f"SSD-100{index}",
            macs=(f"52:54:00:00:0{index}:01", f"52:54:00:00:0{index}:02"),
        )
        if odd is not None and index == count - 1:
            hardware = replace(hardware, ram_bytes=odd.ram_bytes)
        made.append(line.unit(f"unit{index}", hardware))
    return made


def run_batch_cli(
    line: Line, made: list[FactoryUnit], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str, list[str]]:
    serials = [f"ORP-MINI-10{index}" for index in range(len(made))]
    serials_file = line.root / "serials.txt"
    serials_file.write_text("# today's units\n" + "\n".join(serials) + "\n\n")
    with ExitStack() as stack:
        ports = [stack.enter_context(console_on_pty(unit)).port for unit in made]
        code = station.main(
            ["batch", "--ports", ",".join(ports), "--serials", str(serials_file),
             *line.options()]
        )  # fmt: skip
    out, err = capsys.readouterr()
    return code, out, err, serials


def test_a_batch_provisions_each_unit_on_its_port(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    made = units(line, 3)
    code, out, err, serials = run_batch_cli(line, made, capsys)
    assert (code, err) == (0, "")
    assert "3 of 3 units sealed or done, 0 failed" in out
    for unit, serial_number in zip(made, serials, strict=True):
        assert json.loads((unit.state_dir / "identity.json").read_text())["serial"] == serial_number
        assert line.record(serial_number)["result"] == "sealed"
        assert f"{serial_number}: seal ok" in out  # not a tty: a line per step change


def test_a_batch_with_one_wrong_unit_seals_the_others_and_fails(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    made = units(line, 3, odd=Hardware(ram_bytes=8 * GIB))
    code, out, err, serials = run_batch_cli(line, made, capsys)
    assert code == 1 and err == "orpheus-factory: 1 unit(s) failed\n"
    assert "2 of 3 units sealed or done, 1 failed" in out
    assert [unit_sealed(unit) for unit in made] == [True, True, False]
    assert f"{serials[2]} on " in out and "check: not a mini: RAM 8.00 GiB" in out


def test_a_serials_file_that_does_not_fit_the_ports_is_refused(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    serials = line.root / "serials.txt"
    serials.write_text("ORP-MINI-1\nORP-MINI-1\n")
    code = station.main(["batch", "--ports", "a,b", "--serials", str(serials), *line.options()])
    assert code == 1
    assert capsys.readouterr().err.endswith("serials.txt:2: serial ORP-MINI-1 is listed twice\n")
    serials.write_text("ORP-MINI-1\n")
    code = station.main(["batch", "--ports", "a,b", "--serials", str(serials), *line.options()])
    assert code == 1
    assert "2 ports but 1 serials" in capsys.readouterr().err


# -- records ---------------------------------------------------------------------------------
def test_records_export_as_csv_without_passwords_unless_asked(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = line.unit()
    with console_on_pty(unit) as console:
        assert provision_cli(line, console.port, capsys)[0] == 0
    password = line.record()["admin_password"]
    assert station.main(["records", "--csv", "--records", str(line.records)]) == 0
    plain = capsys.readouterr().out
    header, row = plain.splitlines()
    assert header.startswith("serial,board,tier,result,firmware,manufactured,fingerprint")
    assert row.startswith(f"{SERIAL},mini,mini,sealed,1.2.3,")
    assert password not in plain and "admin_password" not in header
    code = station.main(["records", "--csv", "--with-passwords", "--records", str(line.records)])
    assert code == 0 and password in capsys.readouterr().out


def test_a_unit_reopened_with_a_token_is_provisioned_again_with_a_new_password(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    """Re-provisioning at the factory: the station's token (which marks its record), the unit
    re-opened with it, then provision again: its key and serial kept, a new password, the
    self-test run again, sealed anew."""
    unit = line.unit()
    with console_on_pty(unit) as console:
        assert provision_cli(line, console.port, capsys)[0] == 0
    first = line.record()
    token_file = line.root / "token.json"
    argv = ["reopen-token", "--serial", SERIAL, "--fingerprint", first["hardware"]["fingerprint"],
            "--factory-key", str(line.factory_private), "--records", str(line.records),
            "--out", str(token_file)]  # fmt: skip
    assert station.main(argv) == 0
    assert "marked reopened" in capsys.readouterr().out
    assert line.record()["result"] == "reopened" and line.record()["admin_password"] is None
    reopen(
        json.loads(token_file.read_text()), unit.state_dir, load_factory_key(line.factory_public)
    )
    assert not unit_sealed(unit)

    with console_on_pty(unit) as console:
        code, out, err = provision_cli(line, console.port, capsys)
    assert (code, err) == (0, ""), out
    again = line.record()
    assert again["result"] == "sealed" and again["public_key"] == first["public_key"]
    assert again["admin_password"] != first["admin_password"]
    assert "  self-test  ok" in out and "  keygen     kept" in out
    assert PasswordStore(unit.state_dir).check("admin", again["admin_password"])
    identity = json.loads((unit.state_dir / "identity.json").read_text())
    assert identity["serial"] == SERIAL and identity["public_key"] == first["public_key"]


def test_no_token_for_a_serial_the_records_hold_for_other_hardware(
    line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = line.unit()
    with console_on_pty(unit) as console:
        assert provision_cli(line, console.port, capsys)[0] == 0
    out = line.root / "token.json"
    argv = ["reopen-token", "--serial", SERIAL, "--fingerprint", "f" * 32,
            "--factory-key", str(line.factory_private), "--records", str(line.records),
            "--out", str(out)]  # fmt: skip
    assert station.main(argv) == 1
    err = capsys.readouterr().err
    assert "for fingerprint" in err and err.count("\n") == 1
    assert not out.exists() and line.record()["result"] == "sealed"
