"""The update features built from the agent's settings share the agent's job registry, so an
install is one of the jobs listed at /api/v1/jobs and holds back a second one."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.config import AgentConfig
from orpheus.jobs.model import Busy, Job
from orpheus.jobs.registry import JobRegistry
from orpheus.update.feature import UpdateFeature
from orpheus.update.wiring import update_features


def test_install_jobs_go_to_the_agents_registry(tmp_path: Path) -> None:
    registry = JobRegistry()
    features = update_features(
        AgentConfig(data_dir=tmp_path), "A", lambda: (True, "ok"), jobs=registry
    )
    update = next(f for f in features if isinstance(f, UpdateFeature))
    job = update.jobs.claim(Job("install", "b.raucb"))
    assert registry.jobs() == [job]
    with pytest.raises(Busy, match=r"^an update job is already running"):
        registry.claim(Job("install", "c.raucb"))
