"""GET /api/v1/jobs and GET /api/v1/jobs/<id> through the agent's real bottle application."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.api.app import Api
from orpheus.auth import PasswordStore
from orpheus.jobs.feature import JobsFeature
from orpheus.jobs.model import Job
from orpheus.jobs.registry import JobRegistry
from tests.unit.wsgi_call import call

PASSWORD = "a-long-password"


@pytest.fixture
def registry() -> JobRegistry:
    return JobRegistry()


@pytest.fixture
def app(tmp_path: Path, registry: JobRegistry) -> object:
    passwords = PasswordStore(tmp_path)
    passwords.set(PASSWORD)
    api = Api(passwords)
    JobsFeature(registry).install_routes(api)
    return api.app


def test_the_list_holds_running_and_recent_jobs_without_their_logs(
    app: object, registry: JobRegistry
) -> None:
    assert call(app, "GET", "/api/v1/jobs").body == []
    done = registry.claim(Job("install", "a.raucb"))
    done.finish("refused", "bundle refused")
    running = registry.claim(Job("install", "b.raucb"))
    running.step(40, "writing")
    answer = call(app, "GET", "/api/v1/jobs")
    assert answer.status == 200
    assert [(j["id"], j["state"]) for j in answer.body] == [
        (done.id, "refused"),
        (running.id, "running"),
    ]
    assert answer.body[1]["progress"] == 40 and "log" not in answer.body[1]


def test_one_job_with_its_log(app: object, registry: JobRegistry) -> None:
    job = registry.claim(Job("install", "b.raucb"))
    job.step(10, "writing")
    answer = call(app, "GET", f"/api/v1/jobs/{job.id}")
    assert answer.status == 200 and answer.body == job.as_dict()
    assert answer.body["log"] == [" 10% writing"]


def test_an_unknown_or_malformed_id_is_a_json_404(app: object) -> None:
    answer = call(app, "GET", "/api/v1/jobs/999999")
    assert answer.status == 404 and answer.body["error"].startswith("no job 999999:")
    negative = call(app, "GET", "/api/v1/jobs/-1")  # an id, but none can be below 1
    assert negative.status == 400 and "job_id" in negative.body["error"]
    for bad in ("abc", "1.5"):
        answer = call(app, "GET", f"/api/v1/jobs/{bad}")
        assert answer.status == 404 and "error" in answer.body, bad


def test_the_jobs_need_the_admin_password(app: object, registry: JobRegistry) -> None:
    job = registry.claim(Job("install"))
    for path in ("/api/v1/jobs", f"/api/v1/jobs/{job.id}"):
        assert call(app, "GET", path, auth=("admin", "wrong-password")).status == 401
        assert call(app, "GET", path, auth=("admin", PASSWORD)).status == 200
