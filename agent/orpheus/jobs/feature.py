"""The jobs API: GET /api/v1/jobs (running and recent jobs, oldest first, without their logs)
and GET /api/v1/jobs/<id> (one job with its log; 404 for an id not kept)."""

from __future__ import annotations

from orpheus.api.app import Api, ApiError
from orpheus.jobs.registry import JobRegistry
from orpheus.jobs.schemas import JOB, JOB_LIST


class JobsFeature:
    name = "jobs"

    def __init__(self, registry: JobRegistry) -> None:
        self.registry = registry

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/jobs",
            self.list_jobs,
            area="firmware",
            summary="Running and recent jobs (without their logs)",
            response=JOB_LIST,
        )
        api.route(
            "GET",
            "/api/v1/jobs/<job_id:int>",
            self.show_job,
            area="firmware",
            summary="One job with its log",
            params={"job_id": {"type": "integer", "minimum": 1, "maximum": 2**31}},
            response=JOB,
        )

    def start(self) -> None:
        pass  # the features that make jobs run them

    def stop(self) -> None:
        pass  # a job's thread ends with the agent

    def list_jobs(self) -> list[dict[str, object]]:
        return [job.as_dict(log=False) for job in self.registry.jobs()]

    def show_job(self, job_id: int) -> dict[str, object]:
        job = self.registry.get(job_id)
        if job is None:
            raise ApiError(
                404,
                f"no job {job_id}: the agent keeps the running jobs and the last "
                f"{self.registry.history} since it started",
            )
        return job.as_dict()
