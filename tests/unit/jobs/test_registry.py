"""The registry: concurrency per kind, bounded history, and work that always ends its job."""

from __future__ import annotations

import logging
import threading

import pytest

from orpheus.jobs.model import Busy, Failure, Job, Refusal
from orpheus.jobs.registry import Exclusive, JobRegistry, ends_on_error

ONE_UPDATE = Exclusive("an update job", frozenset({"install"}))


def test_a_second_job_of_an_exclusive_kind_is_refused_naming_the_running_one() -> None:
    registry = JobRegistry()
    registry.add_rule(ONE_UPDATE)
    first = registry.claim(Job("install", "a.raucb"))
    first.step(40, "writing firmware 1.1 to slot B")
    second = Job("install", "b.raucb")
    with pytest.raises(Busy) as refused:
        registry.claim(second)
    assert str(refused.value) == (
        f"an update job is already running (job {first.id}, install, 40%: "
        "writing firmware 1.1 to slot B)"
    )
    assert registry.get(second.id) is None, "a refused job is not kept"
    registry.claim(Job("format", "/dev/sdb"))  # another kind is not held back
    first.finish("succeeded", "done")
    assert registry.claim(second) is second


def test_a_rule_may_allow_several_at_once() -> None:
    registry = JobRegistry()
    registry.add_rule(Exclusive("a storage job", frozenset({"format", "mount"}), limit=2))
    registry.claim(Job("format"))
    registry.claim(Job("mount"))
    with pytest.raises(Busy, match=r"^a storage job is already running \(job \d+, format, 0%"):
        registry.claim(Job("mount"))


def test_an_ended_job_cannot_be_claimed() -> None:
    job = Job("install")
    job.finish("refused", "no")
    with pytest.raises(ValueError, match="already ended"):
        JobRegistry().claim(job)


def test_history_keeps_the_running_and_the_last_finished_jobs() -> None:
    registry = JobRegistry(history=50)
    running = registry.claim(Job("install"))
    finished = []
    for _ in range(60):
        job = registry.claim(Job("format"))
        job.finish("succeeded", "ok")
        finished.append(job)
    kept = registry.jobs()
    assert len(kept) == 50
    assert kept[0] is running, "a running job is never dropped, however old"
    assert kept[1:] == finished[-49:], "the newest finished jobs, oldest first"
    assert registry.get(finished[0].id) is None and registry.get(running.id) is running


def test_work_that_returns_succeeds_with_its_message() -> None:
    registry = JobRegistry()
    job = registry.claim(Job("install"))
    registry.run(job, lambda j: "installed to slot B")
    assert (job.state, job.message, job.progress) == ("succeeded", "installed to slot B", 100)


def test_raising_work_ends_failed_with_its_reason_and_the_traceback_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = JobRegistry()
    job = registry.claim(Job("install", "b.raucb"))

    def work(running: Job) -> str:
        running.step(30, "writing")
        raise KeyError("bootname")

    with caplog.at_level(logging.WARNING, logger="orpheus.jobs.registry"):
        registry.run(job, work)
    assert job.state == "failed" and job.message == "unexpected error: KeyError: 'bootname'"
    assert job.progress == 30 and job.finished_at is not None
    traced = [r for r in caplog.records if r.exc_info]
    assert traced and "KeyError" in caplog.text


def test_refusal_and_failure_end_with_their_message_and_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = JobRegistry()

    def refuse(job: Job) -> str:
        raise Refusal("bundle is for 'other'")

    def fail(job: Job) -> str:
        raise Failure("install failed: slot not writable")

    refused, failed = registry.claim(Job("a")), registry.claim(Job("b"))
    with caplog.at_level(logging.WARNING, logger="orpheus.jobs.registry"):
        registry.run(refused, refuse)
        registry.run(failed, fail)
    assert (refused.state, refused.message) == ("refused", "bundle is for 'other'")
    assert (failed.state, failed.message) == ("failed", "install failed: slot not writable")
    assert not [r for r in caplog.records if r.exc_info]


def test_a_spawned_job_ends_in_its_own_thread() -> None:
    registry = JobRegistry()
    job = registry.claim(Job("install"))
    go = threading.Event()

    def work(running: Job) -> str:
        go.wait(5)
        raise OSError(28, "No space left on device")

    thread = registry.spawn(job, work)
    assert job.running and thread.name == f"job-{job.id}-install"
    go.set()
    thread.join(5)
    assert job.state == "failed" and "No space left on device" in job.message


def test_a_job_whose_thread_cannot_start_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """threading.Thread.start is made to fail as it does when the process is out of threads."""
    registry = JobRegistry()
    job = registry.claim(Job("install"))

    def start(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(RuntimeError):
        registry.spawn(job, lambda running: "never")
    assert (job.state, job.message) == (
        "failed",
        "unexpected error: RuntimeError: can't start new thread",
    )


def test_even_an_exit_ends_the_job_and_goes_on() -> None:
    job = JobRegistry().claim(Job("install"))

    def work(running: Job) -> str:
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        JobRegistry().run(job, work)
    assert job.state == "failed" and job.message == "unexpected error: SystemExit: 3"


def test_ends_on_error_leaves_a_job_that_goes_on_running() -> None:
    job = Job("install")
    with ends_on_error(job):
        job.step(1, "receiving")
    assert job.running
    with pytest.raises(Refusal), ends_on_error(job):
        raise Refusal("data partition full")
    assert (job.state, job.message) == ("refused", "data partition full")
