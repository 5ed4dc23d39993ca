"""Long actions of the agent (updates today; storage and factory jobs later) as jobs.

model.py: a job (id, kind, progress, log, final state and message, times) and the exceptions
a job's work raises to end it refused or failed; registry.py: the running and recent jobs,
the concurrency rules per kind, and running a job's work so that the job always ends;
feature.py: GET /api/v1/jobs and GET /api/v1/jobs/<id>.
"""
