"""/api/v1/storage and /api/v1/recordings/copy|move on the real bottle application (the
stick a directory: no USB hardware here): answers, the job, and hostile names refused
before any handler runs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.api.schema import check_declaration
from orpheus.auth import PasswordStore
from orpheus.jobs.feature import JobsFeature
from orpheus.jobs.registry import JobRegistry
from orpheus.recordings.store import RecordingStore
from orpheus.storage.check import Checker
from orpheus.storage.feature import StorageFeature
from orpheus.storage.journal import Journal
from orpheus.storage.transfer_feature import TransferFeature
from orpheus.storage.transfer_job import Transfers
from tests.unit.api.wsgi_client import Answer, call
from tests.unit.storage.parts import SANDISK_VFAT, Audit, make_recording, registry
from tests.unit.storage.test_registry_check import AT, FakeChecker

USB = "usb-5e1c-8a2f"


class Unit:
    def __init__(self, tmp_path: Path, checker: Checker | None = None) -> None:
        self.audit = Audit()
        self.targets = registry(tmp_path, audit=self.audit, checker=checker)
        self.targets.device_added(SANDISK_VFAT)
        self.jobs = JobRegistry()
        journal = Journal(tmp_path / "data/orpheus/recordings-transfer.json")
        self.transfers = TransferFeature(Transfers(self.targets, journal), self.jobs, self.audit)
        self.storage = StorageFeature(self.targets)
        self.storage.busy = self.transfers.busy
        self.api = Api(PasswordStore(tmp_path))
        self.storage.install_routes(self.api)
        self.transfers.install_routes(self.api)
        JobsFeature(self.jobs).install_routes(self.api)
        self.internal = RecordingStore(tmp_path / "data/recordings")

    def ask(self, method: str, path: str, body: Any = None) -> Answer:
        raw = None if body is None else json.dumps(body).encode()
        return call(self.api.app, method, path, raw, auth=None,
                    environ={LOCAL_ENVIRON_KEY: True})  # fmt: skip

    def wait(self, job_id: int) -> dict[str, object]:
        for _ in range(500):  # the job's own thread: polled, bounded
            job = self.jobs.get(job_id)
            assert job is not None
            if not job.running:
                return job.as_dict()
            time.sleep(0.01)
        raise AssertionError("the job did not end")


@pytest.fixture
def unit(tmp_path: Path) -> Unit:
    return Unit(tmp_path)


def test_every_declaration_is_valid(unit: Unit) -> None:
    for route in unit.api.routes:
        check_declaration(route.declaration)


def test_storage_lists_internal_and_the_stick(unit: Unit) -> None:
    answer = unit.ask("GET", "/api/v1/storage")
    assert answer.status == 200
    listing = answer.json()
    assert listing["default"] == "internal"
    assert [(t["name"], t["state"] in ("mounted", "full")) for t in listing["targets"]] == [
        ("internal", True), (USB, True),
    ]  # fmt: skip


def test_set_default_and_eject(unit: Unit) -> None:
    assert unit.ask("PUT", "/api/v1/storage/default", {"target": USB}).json() == {"default": USB}
    assert unit.ask("PUT", "/api/v1/storage/default", {"target": "usb-0000-0000"}).status == 404
    assert unit.ask("POST", "/api/v1/storage/internal/eject", {}).status == 409
    assert unit.ask("POST", f"/api/v1/storage/{USB}/eject", {}).json() == {"ejected": USB}
    assert unit.ask("POST", f"/api/v1/storage/{USB}/eject", {}).status == 404


def test_check_again_answers_the_result_and_the_listing_shows_it(tmp_path: Path) -> None:
    checker = FakeChecker([("errors", "errors left uncorrected: e2fsck: 4"), ("clean", "ok")])
    unit = Unit(tmp_path, checker)
    listed = unit.ask("GET", "/api/v1/storage").json()["targets"][1]
    assert (listed["state"], listed["check"]["result"]) == ("read-only", "errors")
    answer = unit.ask("POST", f"/api/v1/storage/{USB}/check", {})
    assert answer.status == 200, answer.body
    assert answer.json() == {"target": USB, "state": unit.targets.get(USB).measure()["state"],
                             "check": {"result": "clean", "detail": "ok", "at": AT}}  # fmt: skip
    assert unit.ask("POST", "/api/v1/storage/internal/check", {}).status == 409
    assert unit.ask("POST", "/api/v1/storage/usb-0000-0000/check", {}).status == 404
    assert unit.ask("POST", "/api/v1/storage/..%2Fetc/check", {}).status in (400, 404)


def test_a_move_is_a_job_that_the_eject_waits_for(unit: Unit) -> None:
    made = make_recording(unit.internal, "1764650000.1", called="102")
    make_recording(unit.internal, "1764650000.2", called="103")
    answer = unit.ask("POST", "/api/v1/recordings/move", {"to": USB, "extension": "102"})
    assert answer.status == 202, answer.body
    job = answer.json()
    assert (job["kind"], job["source"]) == ("move", f"internal -> {USB}")
    ended = unit.wait(job["id"])
    assert ended["state"] == "succeeded", ended["message"]
    usb = RecordingStore(unit.targets.get(USB).recordings_dir)
    assert usb.audio_path("1764650000.1").read_bytes() == made
    assert [i for i, _ in unit.internal.entries()] == ["1764650000.2"]
    assert unit.audit.entries[-1].change == "recordings.move"
    assert unit.audit.entries[-1].after["recordings"] == 1


def test_archive_is_a_move_by_age(unit: Unit) -> None:
    make_recording(unit.internal, "1764650000.1", started="2020-01-01T00:00:00+00:00")
    make_recording(unit.internal, "1764650000.2", started="2999-01-01T00:00:00+00:00")
    answer = unit.ask("POST", "/api/v1/recordings/move", {"to": USB, "older_than_days": 30})
    assert unit.wait(answer.json()["id"])["state"] == "succeeded"
    assert [i for i, _ in unit.internal.entries()] == ["1764650000.2"]


def test_a_transfer_to_where_it_is_or_nowhere_is_refused(unit: Unit) -> None:
    same = unit.ask("POST", "/api/v1/recordings/copy", {"to": "internal"})
    assert (same.status, same.json()["error"]) == (
        409, "the source and the destination are both internal",
    )  # fmt: skip
    absent = unit.ask("POST", "/api/v1/recordings/copy", {"to": "usb-0000-0000"})
    assert absent.status == 409 and "no storage target 'usb-0000-0000'" in absent.json()["error"]
    bad_day = unit.ask("POST", "/api/v1/recordings/copy", {"to": USB, "since": "2026-02-30"})
    assert bad_day.status == 400 and "not a date" in bad_day.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"to": "../../etc"}, {"to": f"{USB}/../../x"}, {"to": USB, "from": "/data"},
        {"to": "internal\n"}, {"to": USB, "extension": "101; rm -rf /"},
        {"to": USB, "direction": "../in"}, {"to": USB, "since": "2026-11-01T00:00"},
        {"to": USB, "older_than_days": -1}, {"to": USB, "older_than_days": "30"},
        {"to": USB, "id": "1764650000.1"}, {},
    ],
)  # fmt: skip
def test_hostile_transfer_requests_are_400(unit: Unit, body: dict[str, object]) -> None:
    answer = unit.ask("POST", "/api/v1/recordings/copy", body)
    assert answer.status == 400, answer.body
    assert unit.jobs.jobs() == []


@pytest.mark.parametrize(
    "path", ["/api/v1/storage/..%2F..%2Fetc/eject", "/api/v1/storage/USB-X/eject",
             "/api/v1/storage/usb-%0a/eject"]
)  # fmt: skip
def test_hostile_target_names_in_the_path_are_400(unit: Unit, path: str) -> None:
    assert unit.ask("POST", path, {}).status in (400, 404)


def test_retention_is_set_per_target_and_listed(unit: Unit) -> None:
    path = f"/api/v1/storage/{USB}/retention"
    answer = unit.ask("PUT", path, {"max_age_days": 90, "max_bytes": 200_000_000_000})
    assert answer.json() == {
        "target": USB, "retention": {"max_age_days": 90, "max_bytes": 200_000_000_000},
    }  # fmt: skip
    kept = unit.ask("PUT", path, {"max_bytes": None}).json()["retention"]  # age left as it is
    assert kept == {"max_age_days": 90, "max_bytes": None}
    listed = {
        t["name"]: t["retention"] for t in unit.ask("GET", "/api/v1/storage").json()["targets"]
    }
    assert listed == {"internal": {"max_age_days": None, "max_bytes": None}, USB: kept}
    assert (
        unit.ask("PUT", "/api/v1/storage/usb-0000-0000/retention", {"max_age_days": 1}).status
        == 404
    )
    assert [e.change for e in unit.audit.entries][-2:] == ["storage.retention"] * 2


@pytest.mark.parametrize(
    "body",
    [
        {}, {"max_age_days": 0}, {"max_age_days": 36_501}, {"max_age_days": "30"},
        {"max_age_days": 1.5}, {"max_bytes": 999_999}, {"max_bytes": 2**50 + 1},
        {"max_bytes": -1}, {"max_bytes": True}, {"max_age_days": 30, "path": "/etc"},
    ],
)  # fmt: skip
def test_retention_out_of_bounds_is_400(unit: Unit, body: dict[str, object]) -> None:
    answer = unit.ask("PUT", "/api/v1/storage/internal/retention", body)
    assert answer.status == 400, answer.body
    assert unit.targets.retention("internal").unlimited
