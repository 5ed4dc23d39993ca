"""Update jobs: one at a time, the current (or last) one shown by GET /api/v1/update."""

from __future__ import annotations

from orpheus.jobs.model import Busy, Job
from orpheus.jobs.registry import Exclusive, JobRegistry

__all__ = ["ONE_UPDATE_AT_A_TIME", "UPDATE_KINDS", "Busy", "Job", "JobSlot"]

# An install and a restore of the fallback slot both write the other slot.
UPDATE_KINDS = frozenset({"install", "restore"})
ONE_UPDATE_AT_A_TIME = Exclusive("an update job", UPDATE_KINDS)


class JobSlot:
    """The update jobs' place in the agent's job registry (a registry of its own when none is
    given): refuses a second update job while one runs, and keeps the current (or last) one,
    whatever the registry's history has dropped since."""

    def __init__(self, registry: JobRegistry | None = None) -> None:
        self.registry = registry if registry is not None else JobRegistry()
        self.registry.add_rule(ONE_UPDATE_AT_A_TIME)
        self.current: Job | None = None

    def claim(self, job: Job) -> Job:
        """Keeps the job in the registry; Busy while another update job runs."""
        self.registry.claim(job)
        self.current = job
        return job
