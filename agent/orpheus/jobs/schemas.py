"""JSON Schemas of what the jobs API answers (Job.as_dict), for the routes' declarations:
JOB (GET /api/v1/jobs/<id>, the job of GET /api/v1/update and of an accepted install),
JOB_LIST (GET /api/v1/jobs: each job without its log)."""

from __future__ import annotations

from typing import Any

_SUMMARY_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer", "minimum": 1},
    "kind": {"type": "string"},
    "source": {"type": "string"},
    "state": {"enum": ["running", "succeeded", "failed", "refused"]},
    "progress": {"type": "integer", "minimum": 0, "maximum": 100},
    "message": {"type": "string"},
    "started_at": {"type": "number"},
    "finished_at": {"type": ["number", "null"]},
}

JOB_SUMMARY: dict[str, Any] = {
    "type": "object",
    "properties": _SUMMARY_PROPERTIES,
    "required": sorted(_SUMMARY_PROPERTIES),
    "additionalProperties": False,
}
JOB: dict[str, Any] = {
    **JOB_SUMMARY,
    "properties": {**_SUMMARY_PROPERTIES, "log": {"type": "array", "items": {"type": "string"}}},
    "required": sorted([*_SUMMARY_PROPERTIES, "log"]),
}
JOB_LIST: dict[str, Any] = {"type": "array", "items": JOB_SUMMARY}
