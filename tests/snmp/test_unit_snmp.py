"""snmpd of the image serving ORPHEUS-MIB from the agent, read by snmpwalk and pysnmp.

One unit per module: the image's Asterisk and snmpd, the agent, sipp as phones and as a
trunk's provider, snmptrapd as the trap receiver; all on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.snmp.unit import ARC, SnmpUnit, free_port, wait_for

pytestmark = pytest.mark.rootfs

HERE = Path(__file__).resolve().parent
SIPP = HERE / "sipp"
OBJ = ARC + ".1"


def parse_walk(output: str) -> dict[str, str]:
    """'.1.3.6.1.3.7361.1.1.1.0 = STRING: "1.0"' -> {'.1.3...0': '1.0'} (types dropped)."""
    values = {}
    for line in output.splitlines():
        oid, sep, rest = line.partition(" = ")
        if not sep or not oid.startswith("."):
            continue
        _, _, value = rest.partition(": ")
        values[oid] = (value if value or ":" in rest else rest).strip().strip('"')
    return values


@pytest.fixture(scope="module")
def unit(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpUnit]:
    snmp_unit = SnmpUnit(rootfs, tmp_path_factory.mktemp("snmp-unit"))
    try:
        snmp_unit.start(HERE / "pjsip_test.conf")
        result = snmp_unit.ctl(
            "snmp", "set", "--community", "mon@127.0.0.1/32", "--community", "lan@127.0.0.2/32",
            "--contact", "NOC Geneva", "--location", "Rack 3",
            "--v3-user", "nms:authsecret1:privsecret1",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        wait_for(lambda: snmp_unit.snmp("snmpget", OBJ + ".1.1.0").returncode == 0, "snmpd")
        yield snmp_unit
    finally:
        snmp_unit.stop()


@pytest.fixture(scope="module")
def provider(unit: SnmpUnit) -> Iterator[subprocess.Popen[bytes]]:
    """The trunk's SIP provider, answering REGISTER and OPTIONS on 127.0.0.1:5090."""
    process = subprocess.Popen(
        ["sipp", "-sf", str(SIPP / "provider.xml"), "-i", "127.0.0.1", "-p", "5090", "-bg"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    process.wait()  # -bg: sipp forks; its pid is printed, we find it by port below
    yield process
    _stop_sipp_on(5090)


def _stop_sipp_on(port: int) -> None:
    found = subprocess.run(
        ["ss", "-H", "-u", "-l", "-n", "-p", f"sport = :{port}"], capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    for part in found.stdout.split("pid=")[1:]:
        pid = int(part.split(",")[0])
        subprocess.run(["kill", str(pid)], check=False)


def walk(unit: SnmpUnit, tool: str = "snmpwalk") -> dict[str, str]:
    result = unit.snmp(tool, ARC)
    assert result.returncode == 0, result.stderr
    return parse_walk(result.stdout)


# --- values equal what orpheusctl says ----------------------------------------------


def test_firmware_and_unit_equal_orpheusctl_status(unit: SnmpUnit) -> None:
    status = unit.ctl_json("status")
    values = walk(unit)
    assert values[OBJ + ".1.1.0"] == status["version"]
    assert values[OBJ + ".1.2.0"] == status["build_date"]
    assert values[OBJ + ".1.3.0"] == status["booted_slot"] == "A"
    assert values[OBJ + ".2.1.0"] == status["board"] == "mini"


def test_weak_sip_passwords_are_counted_as_orpheusctl_status_counts_them(
    unit: SnmpUnit,
) -> None:
    """An extension added with a weak SIP password (stored, but flagged) raises the count."""
    before = int(walk(unit)[OBJ + ".2.4.0"])
    assert before == unit.ctl_json("status")["weak_passwords"]
    added = unit.ctl("pbx", "add", "extension", "number=180", "password=password1")
    assert added.returncode == 0, added.stderr
    try:
        wait_for(lambda: int(walk(unit)[OBJ + ".2.4.0"]) == before + 1, "the weak count")
        assert unit.ctl_json("status")["weak_passwords"] == before + 1
    finally:
        assert unit.ctl("pbx", "delete", "extension", "180").returncode == 0


def test_asterisk_objects_follow_asterisk(unit: SnmpUnit) -> None:
    values = walk(unit)
    assert values[OBJ + ".4.1.0"] == "1"  # true
    uptime = int(unit.asterisk.cli("core show uptime seconds").split(":")[1].split()[0])
    assert abs(int(values[OBJ + ".4.2.0"]) - uptime) <= 10
    assert values[OBJ + ".4.3.0"] == "0"
    assert values[OBJ + ".4.4.0"] == "0"


def test_ha_license_update_equal_their_commands_or_are_absent(unit: SnmpUnit) -> None:
    values = walk(unit)
    ha = unit.ctl("ha", "status", "--json")
    if ha.returncode == 0:
        role = json.loads(ha.stdout)["role"]
        assert values[OBJ + ".5.1.0"] == role
    else:
        assert OBJ + ".5.1.0" not in values
    licence = unit.ctl("license", "show", "--json")
    if licence.returncode == 0:
        shown = json.loads(licence.stdout)
        assert values[OBJ + ".2.3.0"] == str(shown["tier"])
        days = shown["update_support_days_left"]
        assert values.get(OBJ + ".3.1.0") == (None if days is None else str(days))
        limits = {v for k, v in values.items() if k.startswith(OBJ + ".3.3.1.2.")}
        assert limits == {"calls", "users", "trunks", "queues"}
    else:
        # The area's service is not in this agent: no value rather than a made-up one.
        assert "No Such Object" in unit.snmp("snmpget", OBJ + ".3.1.0").stdout
    if unit.ctl("update", "status", "--json").returncode != 0:
        assert "No Such Object" in unit.snmp("snmpget", OBJ + ".1.4.0").stdout


def test_storage_table_is_orpheusctl_storage_list(unit: SnmpUnit) -> None:
    """The storage registry's targets (no USB drive here: internal alone; the rows of drives
    plugged in and pulled are tests/snmp/test_storage_table.py's)."""
    recordings = unit.data / "recordings"  # the encrypted recordings (agent/orpheus/recordings)
    recordings.mkdir(parents=True, exist_ok=True)
    for name in ("a.age", "b.age", "notes.txt"):
        (recordings / name).write_bytes(b"x")
    values = wait_for(
        lambda: (v := walk(unit)).get(OBJ + ".6.1.1.6.1") == "2" and v, "recordings counted"
    )
    (internal,) = unit.ctl_json("storage", "list")["targets"]
    assert values[OBJ + ".6.1.1.2.1"] == internal["name"] == "internal"
    assert values[OBJ + ".6.1.1.3.1"] == "1"  # mounted: true
    state = {"mounted": "1", "read-only": "2", "full": "4"}[internal["state"]]
    assert values[OBJ + ".6.1.1.7.1"] == state
    assert values[OBJ + ".6.1.1.8.1"] == str(internal["recording_bytes"]) == "2"
    assert values[OBJ + ".6.1.1.4.1"] == str(internal["size_bytes"])
    assert int(values[OBJ + ".6.1.1.5.1"]) > 0
    assert not [oid for oid in values if oid.startswith(OBJ + ".6.1.1.") and oid[-2:] != ".1"]


def test_getbulk_and_getnext_walks_agree(unit: SnmpUnit) -> None:
    assert walk(unit, "snmpbulkwalk").keys() == walk(unit).keys()


def test_pysnmp_client_reads_the_same_objects(unit: SnmpUnit) -> None:
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        walk_cmd,
    )

    async def read_all() -> dict[str, str]:
        found = {}
        engine = SnmpEngine()
        target = await UdpTransportTarget.create(("127.0.0.1", unit.snmp_port), timeout=2)
        async for error, status, _, varbinds in walk_cmd(
            engine, CommunityData("mon"), target, ContextData(),
            ObjectType(ObjectIdentity(ARC[1:])), lexicographicMode=False,
        ):  # fmt: skip
            assert not error and not status, (error, status)
            for name, value in varbinds:
                found["." + str(name)] = value.prettyPrint()
        engine.close_dispatcher()
        return found

    by_pysnmp = asyncio.run(read_all())
    by_snmpwalk = walk(unit)
    assert by_pysnmp.keys() == by_snmpwalk.keys()
    assert by_pysnmp[OBJ + ".1.1.0"] == by_snmpwalk[OBJ + ".1.1.0"]


# --- trunks and endpoints follow real registrations -----------------------------------


def _endpoint_row(values: dict[str, str], name: str) -> tuple[str, str] | None:
    for oid, value in values.items():
        if oid.startswith(OBJ + ".4.7.1.2.") and value == name:
            index = oid.rsplit(".", 1)[1]
            return values[f"{OBJ}.4.7.1.3.{index}"], values[f"{OBJ}.4.7.1.4.{index}"]
    return None


def _register(name: str, port: int) -> None:
    subprocess.run(
        ["sipp", "127.0.0.1:5060", "-sf", str(SIPP / "register.xml"), "-s", name,
         "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-timeout", "20", "-nostdin"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def test_endpoint_table_follows_sipp_registrations(unit: SnmpUnit) -> None:
    assert _endpoint_row(walk(unit), "6001") == ("0", "0")
    _register("6001", free_port())
    wait_for(lambda: _endpoint_row(walk(unit), "6001") == ("1", "0"), "6001 registered")
    # 6002 is qualified: once sipp is gone it stops answering and counts as unreachable.
    _register("6002", free_port())
    wait_for(lambda: _endpoint_row(walk(unit), "6002") == ("0", "1"), "6002 unreachable")


def _trunk(values: dict[str, str]) -> tuple[str, str]:
    return values.get(OBJ + ".4.6.1.3.1", "-"), values.get(OBJ + ".4.6.1.4.1", "-")


def test_trunk_registers_then_becomes_unreachable_and_traps(
    unit: SnmpUnit, provider: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    trap_port = free_port()
    trap_log = tmp_path / "traps.log"
    config = tmp_path / "snmptrapd.conf"
    config.write_text("disableAuthorization yes\n")
    receiver = subprocess.Popen(
        ["snmptrapd", "-f", "-On", "-C", "-c", str(config), "-Lf", str(trap_log),
         f"udp:127.0.0.1:{trap_port}"],
    )  # fmt: skip
    try:
        assert unit.ctl("snmp", "set", "--trap", f"127.0.0.1:{trap_port}/traps").returncode == 0
        values = wait_for(lambda: _trunk(v := walk(unit)) == ("1", "1") and v, "trunk up")
        assert values[OBJ + ".4.6.1.2.1"] == "provider"
        _stop_sipp_on(5090)
        wait_for(lambda: _trunk(walk(unit))[1] == "2", "trunk unreachable")
        wait_for(lambda: trap_log.exists() and f"{ARC}.0.10" in trap_log.read_text(), "the trap")
        assert '"provider"' in trap_log.read_text()
    finally:
        receiver.terminate()
        receiver.wait()
        unit.ctl("snmp", "set", "--no-receivers")


# --- access control and bad input ---------------------------------------------------


def test_standard_mibs_come_from_snmpd(unit: SnmpUnit) -> None:
    system = parse_walk(unit.snmp("snmpwalk", ".1.3.6.1.2.1.1").stdout)
    assert system[".1.3.6.1.2.1.1.4.0"] == "NOC Geneva"
    assert system[".1.3.6.1.2.1.1.6.0"] == "Rack 3"
    for subtree in (".1.3.6.1.2.1.2.2", ".1.3.6.1.2.1.25.2.3", ".1.3.6.1.4.1.2021.10"):
        assert parse_walk(unit.snmp("snmpwalk", subtree).stdout), subtree


def test_snmpv3_authpriv_user_reads(unit: SnmpUnit) -> None:
    result = subprocess.run(
        ["snmpget", "-v3", "-l", "authPriv", "-u", "nms", "-a", "SHA", "-A", "authsecret1",
         "-x", "AES", "-X", "privsecret1", "-On", "-t", "2", f"127.0.0.1:{unit.snmp_port}",
         OBJ + ".1.1.0"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    wrong = subprocess.run(
        ["snmpget", "-v3", "-l", "authPriv", "-u", "nms", "-a", "SHA", "-A", "wrongsecret",
         "-x", "AES", "-X", "privsecret1", "-t", "1", "-r", "0", f"127.0.0.1:{unit.snmp_port}",
         OBJ + ".1.1.0"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert wrong.returncode != 0


def test_wrong_community_gets_no_answer(unit: SnmpUnit) -> None:
    result = unit.snmp("snmpget", OBJ + ".1.1.0", community="public")
    assert result.returncode != 0
    assert "Timeout" in result.stderr


def test_source_outside_the_community_networks_gets_no_answer(unit: SnmpUnit) -> None:
    inside = unit.snmp("snmpget", "--clientaddr=127.0.0.2", OBJ + ".1.1.0", community="lan")
    assert inside.returncode == 0, inside.stderr
    outside = unit.snmp("snmpget", "--clientaddr=127.0.0.3", OBJ + ".1.1.0", community="lan")
    assert outside.returncode != 0
    assert "Timeout" in outside.stderr


def test_set_request_is_refused(unit: SnmpUnit) -> None:
    result = unit.snmp("snmpset", OBJ + ".1.1.0", "s", "hacked")
    assert result.returncode != 0
    assert "noAccess" in result.stderr + result.stdout
    assert walk(unit)[OBJ + ".1.1.0"] != "hacked"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--community", "bad name@127.0.0.1"), "invalid community name"),
        (("--community", "ok@10.0.0.300/8"), "invalid source network"),
        (("--v3-user", "nms:short:privsecret1"), "at least 8 characters"),
        (("--v3-user", "nms:authsecret1:short"), "at least 8 characters"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    unit: SnmpUnit, args: tuple[str, ...], message: str
) -> None:
    before = unit.snmpd_conf.read_bytes(), (unit.data / "orpheus/snmp.json").read_bytes()
    result = unit.ctl("snmp", "set", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert (unit.snmpd_conf.read_bytes(), (unit.data / "orpheus/snmp.json").read_bytes()) == before
    assert unit.snmp("snmpget", OBJ + ".1.1.0").returncode == 0


def test_secrets_are_not_world_readable(unit: SnmpUnit) -> None:
    for path in (unit.snmpd_conf, unit.data / "orpheus/snmp.json"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0, path
    shown = unit.ctl("snmp", "show", "--json")
    assert "authsecret1" not in shown.stdout


def test_settings_changes_go_to_the_audit_log_without_secrets(unit: SnmpUnit) -> None:
    entries = [e for e in unit.ctl_json("audit") if e["change"] == "snmp.update"]
    assert entries, "the fixture's `snmp set` is not in the audit log"
    assert entries[0]["user"].endswith("(console)")
    assert entries[0]["before"]["contact"] != "NOC Geneva"
    assert entries[0]["after"]["contact"] == "NOC Geneva"
    assert "authsecret1" not in json.dumps(entries)


def test_serial_follows_the_factory_identity(unit: SnmpUnit) -> None:
    """Last in the module: it gives the unit an identity."""
    serial_oid = OBJ + ".2.2.0"
    assert serial_oid not in walk(unit), "a unit without identity must not invent a serial"
    written = unit.ctl("identity", "init", "--serial", "ORP-MINI-000042", "--board", "mini")
    assert written.returncode == 0, written.stderr
    identity = unit.ctl_json("identity", "show", "--json")
    wait_for(lambda: walk(unit).get(serial_oid) == "ORP-MINI-000042", "the serial over SNMP")
    assert identity["identity"]["serial"] == "ORP-MINI-000042"


def test_security_objects_are_absent_without_the_firewall(unit: SnmpUnit) -> None:
    # This agent shares the host's network namespace, so its firewall is off (unit.py): no
    # block counts rather than made-up ones.
    for oid in (OBJ + ".7.1.0", OBJ + ".7.2.0"):
        assert "No Such Object" in unit.snmp("snmpget", oid).stdout
