"""The update's job slot (orpheus.update.jobs)."""

from __future__ import annotations

import pytest

from orpheus.update.jobs import Busy, Job, JobSlot


def test_a_second_job_is_refused_while_one_runs() -> None:
    slot = JobSlot()
    first = slot.claim(Job("install", "a"))
    with pytest.raises(Busy, match="already running"):
        slot.claim(Job("install", "b"))
    first.finish("succeeded", "done")
    slot.claim(Job("install", "b"))
