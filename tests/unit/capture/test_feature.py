"""The capture routes with systemd faked: what reaches tcpdump, the bounds, bad requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orpheus.api.app import Api
from orpheus.audit.log import AuditEntry
from orpheus.auth import PasswordStore
from orpheus.capture.feature import MAX_RUNNING, CaptureFeature
from orpheus.capture.limits import DEFAULT_SIZE_MB, MAX_KEPT
from orpheus.capture.runners import SystemdRunner, unit_name
from orpheus.capture.store import CaptureStore
from orpheus.dbus.fakes import FakeSystemd
from orpheus.jobs.registry import JobRegistry
from testbed.polling import wait_for
from tests.unit.capture.pcap_files import PcapWriter, call_flow
from tests.unit.wsgi_call import Answer, call


class Audit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


class Parts:
    def __init__(self, tmp_path: Path, quota_mb: int = 200) -> None:
        self.systemd = FakeSystemd()
        self.audit = Audit()
        self.store = CaptureStore(tmp_path / "captures", quota_mb)
        self.jobs = JobRegistry()
        self.feature = CaptureFeature(
            self.store, SystemdRunner(self.systemd), "/usr/bin/tcpdump", self.jobs, self.audit
        )
        self.api = Api(PasswordStore(tmp_path / "state"))
        self.feature.install_routes(self.api)

    def post(self, path: str, body: Any) -> Answer:
        return call(self.api.app, "POST", path, body=json.dumps(body).encode())

    def argv(self, capture_id: str) -> list[str]:
        properties = dict((name, value) for name, _kind, value in
                          self.systemd.transient[unit_name(capture_id)])  # fmt: skip
        ((_program, argv, _ignore),) = properties["ExecStart"]
        return list(argv)


@pytest.fixture
def parts(tmp_path: Path) -> Parts:
    return Parts(tmp_path)


def test_a_capture_without_a_size_gets_the_default_ring_and_a_duration(parts: Parts) -> None:
    answer = parts.post("/api/v1/captures", {})
    assert answer.status == 202, answer.body
    capture = answer.body
    assert capture["max_size_mb"] == DEFAULT_SIZE_MB and capture["duration_seconds"] == 300
    argv = parts.argv(capture["id"])
    assert argv[:2] == ["/usr/bin/tcpdump", "-i"]
    assert argv[argv.index("-C") + 1] == "2" and argv[argv.index("-W") + 1] == "4"
    assert argv[argv.index("--") + 1 :] == ["port", "5060", "or", "port", "5061"]
    properties = {
        name: value for name, _k, value in parts.systemd.transient[unit_name(capture["id"])]
    }
    assert properties["RuntimeMaxUSec"] == 305 * 1_000_000
    assert parts.audit.entries[-1].change == "capture.start"
    parts.feature.stop()


def test_the_filter_reaches_tcpdump_as_separate_tokens(parts: Parts) -> None:
    body = {"filter": {"kind": "host", "value": "2001:db8::7"}, "max_size_mb": 1}
    capture = parts.post("/api/v1/captures", body).body
    argv = parts.argv(capture["id"])
    assert argv[argv.index("--") + 1 :] == ["host", "2001:db8::7"]
    assert argv[argv.index("-W") + 1] == "1"
    parts.feature.stop()


@pytest.mark.parametrize(
    "body",
    [
        {"filter": {"kind": "port", "value": "5060 or 1=1"}},
        {"filter": {"kind": "port", "value": "; rm -rf /"}},
        {"filter": {"kind": "host", "value": "10.0.0.1\nport 22"}},
        {"filter": "port 5060"},
        {"filter": {"kind": "bpf", "value": "tcp"}},
        {"filter": {"kind": "port", "value": 5060, "expression": "or 1=1"}},
        {"max_size_mb": 0},
        {"max_size_mb": 100000},
        {"duration_seconds": 86400 * 365},
        {"duration_seconds": "10; reboot"},
    ],
)
def test_bad_requests_are_refused_400_and_nothing_runs(parts: Parts, body: Any) -> None:
    answer = parts.post("/api/v1/captures", body)
    assert answer.status == 400, answer.body
    assert "\n" not in answer.body["error"]
    assert parts.systemd.transient == {} and parts.store.captures() == []


def test_a_capture_over_the_quota_is_refused(tmp_path: Path) -> None:
    parts = Parts(tmp_path, quota_mb=15)
    assert parts.post("/api/v1/captures", {"max_size_mb": 10}).status == 202
    refused = parts.post("/api/v1/captures", {"max_size_mb": 10})
    assert refused.status == 409 and "quota" in refused.body["error"]
    assert len(parts.store.captures()) == 1
    parts.feature.stop()


def test_stop_show_download_ladder_and_delete(parts: Parts) -> None:
    capture = parts.post("/api/v1/captures", {"duration_seconds": 600}).body
    directory = parts.store.directory(capture["id"])
    (directory / "capture.pcap0").write_bytes(call_flow(PcapWriter()).bytes())
    stopped = parts.post(f"/api/v1/captures/{capture['id']}/stop", {})
    assert stopped.status == 200 and stopped.body["state"] == "finished", stopped.body
    assert ("stop", unit_name(capture["id"])) in parts.systemd.calls
    job = parts.jobs.get(capture["job_id"])
    assert job is not None and job.state == "succeeded"
    shown = call(parts.api.app, "GET", f"/api/v1/captures/{capture['id']}").body
    (dialog,) = shown["dialogs"]
    assert dialog["final_response"] == "200 OK" and dialog["duration"] == 10.0
    pcap = parts.feature.download(capture["id"])
    assert b"".join(pcap.chunks) == (directory / "capture.pcap0").read_bytes()
    svg = parts.feature.ladder(capture["id"], dialog["call_id"])
    assert b"180 Ringing" in b"".join(svg.chunks)
    missing = call(
        parts.api.app, "GET", f"/api/v1/captures/{capture['id']}/dialogs/nope/ladder.svg"
    )
    assert missing.status == 404
    deleted = call(parts.api.app, "DELETE", f"/api/v1/captures/{capture['id']}")
    assert deleted.status == 200 and not directory.exists()
    assert call(parts.api.app, "GET", f"/api/v1/captures/{capture['id']}").status == 404


def test_a_bad_capture_id_is_refused_before_the_store(parts: Parts) -> None:
    for path in ("/api/v1/captures/..", "/api/v1/captures/ABCDEF012345", "/api/v1/captures/x%0a"):
        assert call(parts.api.app, "GET", path).status in (400, 404)


def test_no_more_than_the_kept_number(tmp_path: Path) -> None:
    parts = Parts(tmp_path, quota_mb=10_000)
    for _ in range(MAX_KEPT):
        capture = parts.post("/api/v1/captures", {"max_size_mb": 1}).body
        parts.post(f"/api/v1/captures/{capture['id']}/stop", {})
    refused = parts.post("/api/v1/captures", {"max_size_mb": 1})
    assert refused.status == 409 and "delete one" in refused.body["error"]


def test_a_capture_left_running_by_an_earlier_agent_is_stopped_at_start(parts: Parts) -> None:
    capture = parts.post("/api/v1/captures", {}).body
    parts.feature.stop()  # the earlier agent's job ends; its capture.json is put back running
    parts.store.update(parts.store.get(capture["id"]), state="running")  # type: ignore[arg-type]
    systemd = FakeSystemd()
    later = CaptureFeature(parts.store, SystemdRunner(systemd), "tcpdump", JobRegistry(), Audit())
    later.start()
    assert ("stop", unit_name(capture["id"])) in systemd.calls
    kept = parts.store.get(capture["id"])
    assert kept is not None and kept.state == "finished" and "interrupted" in kept.message


def test_a_unit_that_failed_ends_the_capture_failed(parts: Parts) -> None:
    capture = parts.post("/api/v1/captures", {}).body
    parts.systemd.states[unit_name(capture["id"])] = "failed"
    job = parts.jobs.get(capture["job_id"])
    assert job is not None
    wait_for("the job to end", lambda: not job.running, timeout=10, interval=0.1)
    assert job.state == "failed" and "journalctl -u" in job.message
    kept = parts.store.get(capture["id"])
    assert kept is not None and kept.state == "failed"


def test_a_third_capture_at_once_is_refused_409(parts: Parts) -> None:
    for _ in range(MAX_RUNNING):
        assert parts.post("/api/v1/captures", {"max_size_mb": 1}).status == 202
    refused = parts.post("/api/v1/captures", {"max_size_mb": 1})
    assert refused.status == 409 and "at most 2 at once" in refused.body["error"]
    assert len(parts.store.captures()) == MAX_RUNNING  # nothing kept for the refused one
    parts.feature.stop()


def test_tcpdump_that_cannot_be_started_is_503_and_its_job_ends(parts: Parts) -> None:
    parts.systemd.unavailable = "no system bus"
    answer = parts.post("/api/v1/captures", {})
    assert answer.status == 503 and "no system bus" in answer.body["error"]
    (job,) = parts.jobs.jobs()
    assert job.state == "failed" and "no system bus" in job.message
    (capture,) = parts.store.captures()
    assert capture.state == "failed"  # kept, with why, until deleted
