"""orpheusctl storage and recordings copy|move|archive against the agent's real storage and
transfer routes (the requests go straight to the WSGI application; the stick is a
directory: no USB hardware here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orpheus.cli import main as cli_main
from orpheus.cli import recordings as recordings_cli
from orpheus.cli.client import AgentError
from orpheus.recordings.store import RecordingStore
from tests.unit.storage.parts import make_recording
from tests.unit.storage.test_feature import USB, Unit
from tests.unit.storage.test_registry_check import FakeChecker


class WsgiClient:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def request(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.unit.ask(method, path, body if body is not None else None)
        if answer.status >= 400:
            raise AgentError(answer.json()["error"])
        return answer.json()


@pytest.fixture
def unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Unit:
    unit = Unit(tmp_path)
    monkeypatch.setattr(cli_main, "AgentClient", lambda socket: WsgiClient(unit))
    monkeypatch.setattr(recordings_cli, "WAIT_POLL_SECONDS", 0.01)
    return unit


def test_storage_list_marks_the_default(unit: Unit, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["storage", "set-default", USB]) == 0
    assert cli_main.main(["storage", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"new recordings go to {USB}"
    assert lines[2].startswith("  internal ") and lines[3].startswith(f"* {USB} ")
    assert cli_main.main(["storage", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["default"] == USB


def test_eject_and_a_hostile_name(unit: Unit, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["storage", "eject", "../../etc"]) == 1
    assert "orpheusctl:" in capsys.readouterr().err
    assert cli_main.main(["storage", "eject", USB]) == 0
    assert capsys.readouterr().out == f"{USB} ejected: the drive can be pulled out\n"


def test_check_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checker = FakeChecker([("clean", "e2fsck: clean"), ("errors", "errors left uncorrected")])
    unit = Unit(tmp_path, checker)
    monkeypatch.setattr(cli_main, "AgentClient", lambda socket: WsgiClient(unit))
    assert cli_main.main(["storage", "check", USB]) == 1  # read-only now: not a success
    assert capsys.readouterr().out == f"{USB}: errors, read-only: errors left uncorrected\n"
    assert cli_main.main(["storage", "check", "internal"]) == 1
    assert "not checked" in capsys.readouterr().err
    checker.outcomes.append(("fixed", "errors fixed"))
    assert cli_main.main(["storage", "check", USB, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["check"]["result"] == "fixed"


def test_move_with_filters_waits_for_its_job(
    unit: Unit, capsys: pytest.CaptureFixture[str]
) -> None:
    make_recording(unit.internal, "1764650000.1", direction="outbound", called="0612")
    make_recording(unit.internal, "1764650000.2", direction="inbound")
    argv = ["recordings", "move", "--to", USB, "--direction", "out", "--since", "2026-11-01",
            "--extension", "0612", "--wait"]  # fmt: skip
    assert cli_main.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("job ") and "succeeded: moved 1 recording(s)" in out
    usb = RecordingStore(unit.targets.get(USB).recordings_dir)
    assert [i for i, _ in usb.entries()] == ["1764650000.1"]


def test_archive_sends_the_age_and_copy_back_is_a_job(
    unit: Unit, capsys: pytest.CaptureFixture[str]
) -> None:
    make_recording(unit.internal, "1764650000.1", started="2020-01-01T00:00:00+00:00")
    assert cli_main.main(["recordings", "archive", "--older-than", "30", "--to", USB,
                          "--wait"]) == 0  # fmt: skip
    assert "moved 1 recording(s)" in capsys.readouterr().out
    assert cli_main.main(["recordings", "copy", "--from", USB, "--to", "internal"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("job ") and f"({USB} -> internal)" in out


def test_a_refused_transfer_is_one_line(unit: Unit, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["recordings", "copy", "--to", USB, "--since", "2026-02-30"]) == 1
    assert capsys.readouterr().err == "orpheusctl: not a date: '2026-02-30' (YYYY-MM-DD)\n"


def test_retention_set_shown_and_removed(unit: Unit, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["storage", "retention", USB, "--max-age-days", "90", "--max-bytes", "200G"]
    assert cli_main.main(argv) == 0
    assert capsys.readouterr().out == f"{USB}: retention 90 days, 186.3 GiB, oldest first\n"
    assert unit.targets.retention(USB).as_dict() == {
        "max_age_days": 90, "max_bytes": 200_000_000_000,
    }  # fmt: skip
    assert cli_main.main(["storage", "retention", USB, "--max-bytes", "64GiB", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["retention"]["max_bytes"] == 64 * 2**30
    assert cli_main.main(["storage", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[2].endswith("90 days, 64.0 GiB")
    assert cli_main.main(["storage", "retention", USB, "--max-age-days", "none"]) == 0
    assert cli_main.main(["storage", "retention", USB, "--max-bytes", "none"]) == 0
    capsys.readouterr()
    assert cli_main.main(["storage", "retention", USB]) == 0
    assert capsys.readouterr().out == f"{USB}: no limit\n"


def test_retention_bad_values(unit: Unit, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli_main.main(["storage", "retention", USB, "--max-bytes", "12 parsecs"])
    assert "not a size" in capsys.readouterr().err
    assert cli_main.main(["storage", "retention", USB, "--max-age-days", "0"]) == 1
    assert "max_age_days" in capsys.readouterr().err
    assert cli_main.main(["storage", "retention", "usb-0000-0000"]) == 1
    assert "no storage target" in capsys.readouterr().err
