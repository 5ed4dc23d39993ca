"""The health-gated commit of a new slot (orpheus.update.commit)."""

from __future__ import annotations

from pathlib import Path

from orpheus.update.commit import CommitFeature
from orpheus.update.state import UpdateState


def _commit(
    tmp_path: Path, healthy: bool, boot_id: str
) -> tuple[CommitFeature, list[tuple[str, str]], list[int]]:
    state = UpdateState(tmp_path / "state.json")
    state.update(
        pending={
            "slot": "B",
            "version": "2",
            "from_slot": "A",
            "from_version": "1",
            "boot_id": "old",
        }
    )
    marks: list[tuple[str, str]] = []
    reboots: list[int] = []
    feature = CommitFeature(
        lambda: (healthy, "ok" if healthy else "Asterisk is not answering"),
        lambda state_, slot: marks.append((state_, slot)) or "done",
        0.05,
        state=state,
        booted_slot="B",
        boot_id=lambda: boot_id,
        reboot=lambda: reboots.append(1),
    )
    return feature, marks, reboots


def test_an_unhealthy_new_slot_is_marked_bad_and_the_unit_reboots(tmp_path: Path) -> None:
    feature, marks, reboots = _commit(tmp_path, healthy=False, boot_id="new")
    feature._run()
    assert marks == [("bad", "booted")] and reboots == [1]
    rollback = UpdateState(tmp_path / "state.json").read()["last_rollback"]
    assert rollback["kind"] == "automatic" and "Asterisk is not answering" in rollback["reason"]


def test_a_healthy_new_slot_is_committed(tmp_path: Path) -> None:
    feature, marks, reboots = _commit(tmp_path, healthy=True, boot_id="new")
    feature._run()
    assert marks == [("good", "booted")] and reboots == []
    assert UpdateState(tmp_path / "state.json").read()["pending"] is None


def test_no_rollback_before_the_reboot_into_the_new_slot(tmp_path: Path) -> None:
    feature, marks, reboots = _commit(tmp_path, healthy=False, boot_id="old")
    feature._run()
    assert marks == [] and reboots == []
