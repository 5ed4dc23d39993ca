"""The running and recent jobs, the concurrency rule of each kind, and running a job's work.

Whatever a job's work does, the job ends: `run` (in the caller's thread) and `spawn` (in a
thread of its own) end it succeeded with the message the work returns, refused or failed with
the message of a Refusal or Failure it raises, and failed with its reason for any other
exception (logged with its traceback). `ends_on_error` does the same for work done in a
request's thread before the job goes on in the background (an upload).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from orpheus.jobs.model import Busy, Failure, Job, JobState, Refusal, failure_reason

log = logging.getLogger(__name__)

# Finished jobs kept for GET /api/v1/jobs; running jobs are always kept.
HISTORY = 50

Work = Callable[[Job], str]  # does the job; returns the message it succeeds with


@dataclass(frozen=True)
class Exclusive:
    """At most `limit` running jobs among `kinds` at once; a further one is refused, naming
    the running one ("an update job is already running (job 3, install, 40%: ...)")."""

    what: str  # "an update job"
    kinds: frozenset[str]
    limit: int = 1


class JobRegistry:
    def __init__(self, history: int = HISTORY) -> None:
        self._history = history
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}  # in the order they started
        self._rules: dict[Exclusive, None] = {}  # a set that keeps its order

    @property
    def history(self) -> int:
        return self._history

    def add_rule(self, rule: Exclusive) -> None:
        with self._lock:
            self._rules[rule] = None

    def claim(self, job: Job) -> Job:
        """Starts keeping a running job; Busy (and the job not kept) if a rule refuses it."""
        if not job.running:
            raise ValueError(f"job {job.id} has already ended")
        with self._lock:
            for rule in self._rules:
                if job.kind in rule.kinds:
                    self._check(rule)
            self._jobs[job.id] = job
            self._forget_old()
        return job

    def _check(self, rule: Exclusive) -> None:
        running = [j for j in self._jobs.values() if j.running and j.kind in rule.kinds]
        if len(running) >= rule.limit:
            first = running[0]
            raise Busy(
                f"{rule.what} is already running (job {first.id}, {first.kind}, "
                f"{first.progress}%: {first.message})"
            )

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if not job.running]
        for job_id in finished[: max(0, len(self._jobs) - self._history)]:
            del self._jobs[job_id]

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        """The running and the recent jobs, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def run(self, job: Job, work: Work) -> None:
        """Does the job's work in this thread; the job has ended when this returns."""
        try:
            with ends_on_error(job):
                message = work(job)
        except Exception:  # noqa: BLE001 - ended (and logged) by ends_on_error
            return
        _end(job, "succeeded", message)

    def spawn(self, job: Job, work: Work) -> threading.Thread:
        """Does the job's work in a thread of its own (named after the job)."""
        thread = threading.Thread(
            target=self.run, args=(job, work), name=f"job-{job.id}-{job.kind}", daemon=True
        )
        with ends_on_error(job):  # no thread to be had: the job ends here
            thread.start()
        return thread


@contextmanager
def ends_on_error(job: Job) -> Iterator[Job]:
    """Ends the job if the block raises (refused for a Refusal, failed for anything else)
    and lets the exception go on; a block that returns leaves the job as it is."""
    try:
        yield job
    except Refusal as error:
        _end(job, "refused", str(error))
        raise
    except Failure as error:
        _end(job, "failed", str(error))
        raise
    except BaseException as error:
        log.exception("job %d (%s) failed", job.id, job.kind)
        _end(job, "failed", failure_reason(error))
        raise


def _end(job: Job, state: JobState, message: str) -> None:
    if job.finish(state, message):
        level = logging.INFO if state == "succeeded" else logging.WARNING
        log.log(level, "job %d (%s, %s) %s: %s", job.id, job.kind, job.source, state, message)
