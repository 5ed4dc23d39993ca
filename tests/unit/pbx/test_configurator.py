"""PBX changes (orpheus.pbx.configurator): create, update, delete and imports, checked against
the licence, applied through an applier and stored with their audit entry.

The applier is a fake (the real one drives Asterisk over AMI, which does not run here; its
file handling is tested in test_apply.py); the store, the licensing and the rendering are real.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from orpheus.audit.log import AuditEntry, AuditLog
from orpheus.licensing.active import Licensing
from orpheus.pbx import store as store_module
from orpheus.pbx.apply import ApplyResult, AsteriskApplier, Expected, ReloadRejected
from orpheus.pbx.configurator import ChangeRefused, NotFound, PbxConfigurator
from orpheus.pbx.render import DIALPLAN_FILE, PJSIP_FILE
from orpheus.pbx.store import PbxStore
from testbed.pbx_unit import VendorKey, fake_sysfs

SERIAL = "ORP-CONF-1"
APPLIED = ApplyResult(True, ("res_pjsip.so",), "applied")


class FakeApplier:
    """Records what would be put in place; `reject` makes Asterisk refuse the next change."""

    def __init__(self, asterisk_dir: Path) -> None:
        self.asterisk_dir = asterisk_dir
        self.ami_secret = "ami-secret"
        self.ami_port = 5038
        self.applied: list[tuple[dict[str, str], Expected]] = []
        self.rolled_back: list[BaseException] = []
        self.reject: str | None = None
        self.reloaded: list[list[str]] = []
        self.calls: int | None = 3

    @contextmanager
    def applying(self, files: dict[str, str], expected: Expected) -> Iterator[ApplyResult]:
        if self.reject:
            raise ReloadRejected(self.reject)
        self.applied.append((files, expected))
        try:
            yield APPLIED
        except BaseException as error:
            self.rolled_back.append(error)
            raise

    def counted_calls(self) -> int | None:
        return self.calls

    def reload_files(self, names: Sequence[str]) -> ApplyResult:
        self.reloaded.append(list(names))
        return ApplyResult(True, (), "reloaded")


class Unit:
    def __init__(self, tmp_path: Path) -> None:
        self.key = VendorKey(tmp_path / "vendor")
        self.tmp_path = tmp_path
        self.licensing = self.start_licensing()
        self.licensing.write_identity(SERIAL, "mini", None, force=False)
        self.path = tmp_path / "state" / "pbx.sqlite"
        self.store = PbxStore(self.path)
        self.applier = FakeApplier(tmp_path / "asterisk")
        self.configurator = self.make()

    def make(self) -> PbxConfigurator:
        applier: AsteriskApplier = self.applier  # type: ignore[assignment]  # the fake above
        return PbxConfigurator(self.store, applier, self.licensing)

    def start_licensing(self) -> Licensing:
        """The licensing part as the agent starts it, from the files under state/."""
        sysfs = fake_sysfs(self.tmp_path / "sys")
        state = self.tmp_path / "state"
        return Licensing(state, sysfs, self.tmp_path, self.key.public_pem, "mini")

    def license(self, tier: str, **extra: object) -> None:
        document = self.key.licence(SERIAL, tier, **extra)
        self.licensing.install(json.dumps(document).encode())

    def audit(self) -> list[dict[str, Any]]:
        return AuditLog(self.path).read()

    def files(self) -> dict[str, str]:
        return self.applier.applied[-1][0]


@pytest.fixture
def unit(tmp_path: Path) -> Iterator[Unit]:
    unit = Unit(tmp_path)
    yield unit
    unit.store.close()


def _extension(number: str, **extra: object) -> dict[str, object]:
    return {"number": number, "password": f"pw{number}pw{number}", **extra}


def test_create_applies_stores_and_audits_with_secrets_masked(unit: Unit) -> None:
    result = unit.configurator.create("extension", _extension("101", name="Desk"), "alice")
    assert result.apply == APPLIED
    assert result.record == {"number": "101", "name": "Desk", "password": "********",
                             "remote": False, "call_class": "national", "transport": "udp",
                             "media_encryption": "none", "require_tls_srtp": False}  # fmt: skip
    files, expected = unit.applier.applied[-1]
    assert "password=pw101pw101" in files[PJSIP_FILE]
    assert "exten => 101,1,NoOp(extension 101)" in files[DIALPLAN_FILE]
    assert expected.endpoints == frozenset({"101"}) and expected.queues == frozenset()
    assert f"ORPHEUS_CONFIG_SERIAL={expected.serial}" in files[DIALPLAN_FILE]
    assert unit.store.load()["extension"]["101"]["password"] == "pw101pw101"
    (entry,) = unit.audit()
    assert (entry["change"], entry["object"], entry["user"]) == (
        "extension.create",
        "extension 101",
        "alice",
    )
    assert entry["before"] is None and entry["after"]["password"] == "********"
    assert unit.configurator.records("extension") == [result.record]
    assert unit.configurator.record("extension", "101") == result.record


def test_each_apply_has_a_new_serial(unit: Unit) -> None:
    unit.configurator.create("extension", _extension("101"), "alice")
    unit.configurator.create("extension", _extension("102"), "alice")
    first, second = (expected.serial for _, expected in unit.applier.applied)
    assert second == first + 1


def test_create_of_an_existing_record_is_refused(unit: Unit) -> None:
    unit.configurator.create("extension", _extension("101"), "alice")
    with pytest.raises(ChangeRefused, match="extension '101' already exists"):
        unit.configurator.create("extension", _extension("101"), "alice")
    assert len(unit.applier.applied) == 1 and len(unit.audit()) == 1


def test_update_merges_the_fields_and_keeps_the_key(unit: Unit) -> None:
    unit.configurator.create("extension", _extension("101"), "alice")
    result = unit.configurator.update("extension", "101", {"name": "Reception"}, "bob")
    assert result.record is not None and result.record["name"] == "Reception"
    assert unit.store.load()["extension"]["101"]["password"] == "pw101pw101"
    entry = unit.audit()[-1]
    assert entry["change"] == "extension.update" and entry["user"] == "bob"
    assert entry["before"]["name"] == "" and entry["after"]["name"] == "Reception"
    with pytest.raises(ChangeRefused, match="the number of a extension cannot change"):
        unit.configurator.update("extension", "101", {"number": "102"}, "bob")
    with pytest.raises(NotFound, match="no extension '999'"):
        unit.configurator.update("extension", "999", {"name": "x"}, "bob")


def test_the_recording_singleton_is_updated_without_being_created(unit: Unit) -> None:
    unit.license("lite")
    unit.configurator.create("extension", _extension("101"), "alice")
    assert "MixMonitor(" not in unit.files()[DIALPLAN_FILE]
    result = unit.configurator.update("recording", "recording", {"enabled": "yes"}, "alice")
    assert result.record == {"enabled": True, "storage": "internal"}
    assert "MixMonitor(" in unit.files()[DIALPLAN_FILE]  # calls to 101 are recorded


def test_delete_removes_the_record(unit: Unit) -> None:
    unit.configurator.create("extension", _extension("101"), "alice")
    result = unit.configurator.delete("extension", "101", "alice")
    assert result.record is None
    assert unit.store.load() == {}
    assert "[101]" not in unit.files()[PJSIP_FILE]
    entry = unit.audit()[-1]
    assert entry["change"] == "extension.delete" and entry["after"] is None
    with pytest.raises(NotFound):
        unit.configurator.delete("extension", "101", "alice")
    with pytest.raises(NotFound):
        unit.configurator.record("extension", "101")


def test_create_many_is_one_check_one_apply_one_entry(unit: Unit) -> None:
    values = [_extension(str(n)) for n in range(201, 206)]
    result = unit.configurator.create_many("extension", values, "importer")
    assert result == APPLIED
    assert len(unit.applier.applied) == 1
    assert list(unit.store.load()["extension"]) == ["201", "202", "203", "204", "205"]
    (entry,) = unit.audit()
    assert (entry["change"], entry["object"]) == ("extension.import", "5 extension(s)")
    assert all(r["password"] == "********" for r in entry["after"])


def test_create_many_refuses_the_whole_batch(unit: Unit) -> None:
    unit.configurator.create("extension", _extension("201"), "alice")
    with pytest.raises(ChangeRefused, match="extension '201' already exists"):
        unit.configurator.create_many("extension", [_extension("202"), _extension("201")], "i")
    too_many = [_extension(str(n)) for n in range(300, 312)]  # 13 with 201: over Mini's 12
    with pytest.raises(ChangeRefused, match="the Mini tier allows 12 extensions"):
        unit.configurator.create_many("extension", too_many, "i")
    assert list(unit.store.load()["extension"]) == ["201"]
    assert len(unit.applier.applied) == 1 and len(unit.audit()) == 1


def test_a_change_over_the_licence_is_refused_before_anything_happens(unit: Unit) -> None:
    for n in range(100, 112):
        unit.configurator.create("extension", _extension(str(n)), "alice")
    applied, entries = len(unit.applier.applied), len(unit.audit())
    with pytest.raises(ChangeRefused) as refused:
        unit.configurator.create("extension", _extension("112"), "alice")
    assert str(refused.value) == (
        "refused: the Mini tier allows 12 extensions (this change makes 13); "
        "a Lite licence (the Mini-to-Lite upgrade) lifts it"
    )
    with pytest.raises(ChangeRefused, match="call recording is not included in the Mini tier"):
        unit.configurator.update("recording", "recording", {"enabled": True}, "alice")
    with pytest.raises(ChangeRefused, match="remote extensions is not included"):
        unit.configurator.update("extension", "100", {"remote": True}, "alice")
    assert (len(unit.applier.applied), len(unit.audit())) == (applied, entries)
    assert len(unit.store.load()["extension"]) == 12
    unit.license("lite")  # the limit lifted: the same change passes
    unit.configurator.create("extension", _extension("112"), "alice")
    assert len(unit.store.load()["extension"]) == 13


def test_references_are_checked(unit: Unit) -> None:
    unit.license("lite")
    with pytest.raises(ChangeRefused, match="balancer 'out': no trunk 't9'"):
        unit.configurator.create("balancer", {"name": "out", "trunks": "t9", "prefix": "0"}, "a")
    unit.configurator.create("extension", _extension("101"), "alice")
    with pytest.raises(ChangeRefused, match="number 101 is used twice"):
        unit.configurator.create("queue", {"name": "sales", "number": "101"}, "alice")
    with pytest.raises(ChangeRefused, match="form a cycle"):
        unit.configurator.create("ivr", {"name": "a", "parent": "a"}, "alice")
    assert list(unit.store.load()) == ["extension"]


def test_asterisk_rejecting_a_change_refuses_it_and_stores_nothing(unit: Unit) -> None:
    unit.applier.reject = "SIP endpoint(s) not loaded: 101"
    with pytest.raises(ChangeRefused, match="not loaded: 101"):
        unit.configurator.create("extension", _extension("101"), "alice")
    assert unit.store.load() == {} and unit.audit() == []
    assert unit.configurator.records("extension") == []


def test_a_failed_store_puts_the_files_back_and_keeps_the_old_config(
    unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit.configurator.create("extension", _extension("101"), "alice")

    def broken(*args: object) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(store_module.PbxStore, "commit", broken)
    with pytest.raises(OSError, match="I/O error"):
        unit.configurator.create("extension", _extension("102"), "alice")
    assert len(unit.applier.rolled_back) == 1  # the applier saw the failure: files put back
    assert [r["number"] for r in unit.configurator.records("extension")] == ["101"]


def test_what_is_rendered_is_clipped_to_the_licence(unit: Unit) -> None:
    """A store holding more than the licence allows (after a fallback to the base tier):
    Asterisk gets the oldest records within the limits, the store keeps them all."""
    unit.license("lite")
    for n in range(100, 114):
        unit.configurator.create("extension", _extension(str(n)), "alice")
    unit.licensing.license_file.unlink()  # the licence is gone: back to Mini at the restart
    unit.licensing = unit.start_licensing()
    assert unit.licensing.entitlement.tier == "mini"
    again = unit.make()
    again.reapply()
    _, expected = unit.applier.applied[-1]
    assert expected.endpoints == frozenset(str(n) for n in range(100, 112))
    assert len(again.records("extension")) == 14
    # Shrinking is allowed even beyond the limit.
    again.delete("extension", "113", "alice")


def test_usage_counts_the_configuration_and_the_calls(unit: Unit) -> None:
    unit.configurator.create("extension", _extension("101"), "alice")
    unit.configurator.create("queue", {"name": "sales", "number": "600"}, "alice")
    usage = unit.configurator.usage()
    assert (usage.concurrent_calls, usage.extensions, usage.queues, usage.trunks) == (3, 1, 1, 0)
    unit.applier.calls = None  # Asterisk not running
    assert unit.configurator.usage().concurrent_calls is None


def test_adopting_a_peers_store_rereads_it_and_reloads_the_files(unit: Unit) -> None:
    other = PbxStore(unit.path)  # what an HA sync lands in the same file
    other.commit("trunk", "t1", {"name": "t1"}, AuditEntry("t", "o", "u", None, None))
    other.close()
    result = unit.configurator.adopt_synced(["pjsip.d/orpheus.conf"])
    assert result.detail == "reloaded" and unit.applier.reloaded == [["pjsip.d/orpheus.conf"]]
    assert unit.configurator.records("trunk") == [{"name": "t1"}]


def test_an_extension_of_an_unknown_call_class_is_refused_and_a_used_class_stays(
    unit: Unit,
) -> None:
    """A class name that no built-in or stored class has would leave the extension reaching
    no trunk at all: refused; so is deleting a stored class an extension still uses."""
    with pytest.raises(ChangeRefused, match=r"^extension 101: no call class 'nowhere' \(known: "):
        unit.configurator.create("extension", _extension("101", call_class="nowhere"), "alice")
    unit.configurator.create("callclass", {"name": "site", "patterns": ["_0301X."]}, "alice")
    unit.configurator.create("extension", _extension("101", call_class="site"), "alice")
    with pytest.raises(ChangeRefused, match=r"^extension 101: no call class 'site'"):
        unit.configurator.delete("callclass", "site", "alice")
    assert unit.store.load()["extension"]["101"]["call_class"] == "site"
    assert "site" in unit.store.load()["callclass"]
