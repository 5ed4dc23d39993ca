"""orpheusctl jobs: the list and one job, against the agent's real jobs API (the Unix socket
is left out: the client's requests go straight to the WSGI application)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orpheus.api.app import Api
from orpheus.auth import PasswordStore
from orpheus.cli import main as cli_main
from orpheus.cli.client import AgentError
from orpheus.jobs.feature import JobsFeature
from orpheus.jobs.model import Job
from orpheus.jobs.registry import JobRegistry
from tests.unit.wsgi_call import call


class WsgiClient:
    """AgentClient's request(), answered by the application in this process."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str, body: Any = None) -> Any:
        answer = call(self.app, method, path, body=json.dumps(body).encode() if body else b"")
        if answer.status >= 400:
            raise AgentError(answer.body["error"])
        return answer.body


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> JobRegistry:
    registry = JobRegistry()
    api = Api(PasswordStore(tmp_path))
    JobsFeature(registry).install_routes(api)
    monkeypatch.setattr(cli_main, "AgentClient", lambda socket: WsgiClient(api.app))
    return registry


def _jobs(registry: JobRegistry) -> tuple[Job, Job]:
    done = registry.claim(Job("install", "/data/tmp/a.raucb", started_at=1796083200.0))
    done.step(40, "writing firmware 1.1.0 to slot B")
    done.finish("failed", "install failed: slot not writable")
    running = registry.claim(Job("install", "http://example.invalid/b.raucb"))
    running.step(12, "writing firmware 1.2.0 to slot B")
    return done, running


def test_jobs_lists_every_job_one_line_each(
    registry: JobRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main.main(["jobs"]) == 0
    assert capsys.readouterr().out == "no jobs since the agent started\n"
    done, running = _jobs(registry)
    assert cli_main.main(["jobs", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "KIND", "STATE", "DONE", "STARTED", "(UTC)", "MESSAGE"]
    assert lines[1].split()[:5] == [str(done.id), "install", "failed", "40%", "2026-12-01"]
    assert lines[1].endswith("install failed: slot not writable")
    assert lines[2].split()[:4] == [str(running.id), "install", "running", "12%"]


def test_jobs_list_json_is_the_apis(
    registry: JobRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    _jobs(registry)
    assert cli_main.main(["jobs", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [job.as_dict(log=False) for job in registry.jobs()]


def test_jobs_show_prints_the_job_and_its_log(
    registry: JobRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    done, _ = _jobs(registry)
    assert cli_main.main(["jobs", "show", str(done.id)]) == 0
    out = capsys.readouterr().out
    assert f"Job       {done.id}\n" in out and "Source    /data/tmp/a.raucb\n" in out
    assert "Started   2026-12-01 00:00:00\n" in out
    assert out.endswith(
        "     40% writing firmware 1.1.0 to slot B\n    failed: install failed: slot not writable\n"
    )
    assert cli_main.main(["jobs", "show", str(done.id), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == done.as_dict()


def test_jobs_show_of_an_unknown_job_fails_with_one_line(
    registry: JobRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main.main(["jobs", "show", "424242"]) == 1
    assert capsys.readouterr().err.startswith("orpheusctl: no job 424242:")
