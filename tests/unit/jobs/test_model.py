"""A job: ids, progress that only grows, one end, its JSON."""

from __future__ import annotations

import json

import jsonschema
import pytest

from orpheus.jobs.model import Failure, Job, Refusal, failure_reason
from orpheus.jobs.schemas import JOB, JOB_LIST

KEYS = {
    "kind",
    "source",
    "id",
    "state",
    "progress",
    "message",
    "log",
    "started_at",
    "finished_at",
}


def test_ids_are_integers_that_grow_and_never_repeat() -> None:
    ids = [Job("install").id for _ in range(5)]
    assert all(isinstance(i, int) for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 5


def test_progress_only_grows_and_stays_within_100() -> None:
    job = Job("install", "b.raucb")
    job.step(40, "writing")
    job.step(10, "writing again")
    assert job.progress == 40 and job.message == "writing again"
    job.step(250, "almost")
    assert job.progress == 100
    assert job.log == [" 40% writing", " 40% writing again", "100% almost"]


def test_the_same_message_is_logged_once() -> None:
    job = Job("install")
    job.step(5, "hashing")
    job.step(6, "hashing")
    assert job.log == ["  5% hashing"] and job.progress == 6


def test_a_job_ends_once_and_nothing_changes_after() -> None:
    job = Job("install")
    job.step(30, "writing")
    assert job.finish("failed", "disk gone")
    assert not job.finish("succeeded", "done")
    job.step(90, "late progress")
    assert (job.state, job.message, job.progress) == ("failed", "disk gone", 30)
    assert job.log[-1] == "failed: disk gone" and job.finished_at is not None
    assert not job.running


def test_success_is_100_percent() -> None:
    job = Job("install")
    job.step(60, "writing")
    job.finish("succeeded", "installed")
    assert job.progress == 100 and job.state == "succeeded"


def test_running_is_not_an_end() -> None:
    with pytest.raises(ValueError, match="ends as"):
        Job("install").finish("running", "still")


def test_as_dict_is_the_json_the_update_api_shows() -> None:
    job = Job("install", "http://example.invalid/b.raucb")
    job.step(12, "writing")
    data = job.as_dict()
    assert set(data) == KEYS
    assert data["kind"] == "install" and data["source"] == "http://example.invalid/b.raucb"
    assert data["state"] == "running" and data["progress"] == 12 and data["finished_at"] is None
    assert data["log"] == [" 12% writing"]
    json.dumps(data)  # plain JSON, no lock or other object in it
    job.step(20, "more")
    assert data["log"] == [" 12% writing"], "the answer is a copy, not the live log"
    assert set(job.as_dict(log=False)) == KEYS - {"log"}


def test_failure_reasons() -> None:
    assert failure_reason(Failure("upload cut after 3 of 9 bytes")) == (
        "upload cut after 3 of 9 bytes"
    )
    assert failure_reason(Refusal("bundle refused")) == "bundle refused"
    assert failure_reason(KeyError("slot")) == "unexpected error: KeyError: 'slot'"
    assert failure_reason(RuntimeError()) == "unexpected error: RuntimeError"


def test_as_dict_matches_the_declared_schemas() -> None:
    job = Job("install", "upload")
    job.step(3, "checking")
    job.finish("refused", "bundle refused")
    jsonschema.validate(job.as_dict(), JOB)
    jsonschema.validate([job.as_dict(log=False)], JOB_LIST)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(job.as_dict(log=False), JOB)  # the log belongs to one job's JSON
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**job.as_dict(), "state": "stuck"}, JOB)
