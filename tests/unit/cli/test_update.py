"""orpheusctl update (orpheus.cli.update): the install request and following its job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orpheus.cli import main as cli_main
from orpheus.cli import update
from orpheus.cli.client import AgentError

from .fake_client import FakeAgentClient, install


class JobClient(FakeAgentClient):
    """Answers GET /api/v1/update with each of `jobs` in turn (the job as it progresses)."""

    def __init__(self, jobs: list[dict[str, Any] | AgentError | None]) -> None:
        super().__init__({("POST", "/api/v1/update"): {"id": 7}})
        self.jobs = jobs

    def request(self, method: str, path: str, body: Any = None) -> Any:
        if (method, path) == ("GET", "/api/v1/update"):
            self.requests.append((method, path, body))
            job = self.jobs.pop(0)
            if isinstance(job, AgentError):
                raise job
            return {"job": job}
        return super().request(method, path, body)


def _job(state: str, log: list[str], message: str = "") -> dict[str, Any]:
    return {"id": 7, "state": state, "log": log, "message": message}


@pytest.fixture(autouse=True)
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(update, "POLL_SECONDS", 0.0)


def test_install_sends_the_resolved_path_and_prints_each_log_line_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    jobs = [_job("running", ["checking"]), _job("succeeded", ["checking", "written to B"])]
    client = install(monkeypatch, JobClient(list(jobs)))
    assert cli_main.main(["update", "install", "b.raucb", "--reboot"]) == 0
    method, path, body = client.requests[0]
    assert (method, path) == ("POST", "/api/v1/update")
    assert body["path"] == str(tmp_path / "b.raucb") and "url" not in body
    assert body["reboot"] is True and body["force"] is False
    assert capsys.readouterr().out == "checking\nwritten to B\n"


def test_an_url_is_sent_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    client = install(monkeypatch, JobClient([_job("succeeded", [])]))
    assert cli_main.main(["update", "install", "https://example.invalid/b.raucb"]) == 0
    body = client.requests[0][2]
    assert body["url"] == "https://example.invalid/b.raucb" and "path" not in body


def test_a_failed_job_exits_1_with_its_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(monkeypatch, JobClient([_job("refused", ["checking"], "bundle is for 'x'")]))
    assert cli_main.main(["update", "install", "https://example.invalid/b.raucb"]) == 1
    assert capsys.readouterr().err == "orpheusctl: update refused: bundle is for 'x'\n"


def test_a_job_gone_means_the_agent_restarted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(monkeypatch, JobClient([None]))
    assert cli_main.main(["update", "install", "https://example.invalid/b.raucb"]) == 1
    assert "job 7 is gone" in capsys.readouterr().err


def test_the_agent_stopping_while_rebooting_is_success(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fake client's socket path does not exist: the agent has gone with the reboot.
    install(monkeypatch, JobClient([_job("running", ["rebooting"]), AgentError("gone")]))
    assert cli_main.main(["update", "install", "https://example.invalid/b.raucb"]) == 0
    assert capsys.readouterr().out == "rebooting\nthe agent has stopped: the unit is rebooting\n"


def test_rollback_sends_reboot_and_prints_the_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {"message": "slot A boots next"}
    client = install(monkeypatch, FakeAgentClient({("POST", "/api/v1/update/rollback"): answer}))
    assert cli_main.main(["update", "rollback"]) == 0
    assert client.requests == [("POST", "/api/v1/update/rollback", {"reboot": False})]
    assert capsys.readouterr().out == "slot A boots next\n"
