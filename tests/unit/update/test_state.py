"""What the update module remembers across boots (orpheus.update.state): one JSON file."""

from __future__ import annotations

import json
import re
import stat
import threading
from pathlib import Path

import pytest

from orpheus.update import state as state_module
from orpheus.update.state import KEYS, UpdateState


@pytest.fixture
def state(tmp_path: Path) -> UpdateState:
    return UpdateState(tmp_path / "update" / "state.json")


def test_a_missing_file_reads_as_every_key_empty(state: UpdateState) -> None:
    assert state.read() == {"slots": {}, **{key: None for key in KEYS if key != "slots"}}


@pytest.mark.parametrize("text", ["", "not json", '{"slots": null}'])
def test_a_broken_file_reads_as_empty_too(state: UpdateState, text: str) -> None:
    state.path.parent.mkdir(parents=True)
    state.path.write_text(text)
    assert state.read()["slots"] == {} and state.read()["pending"] is None


@pytest.mark.parametrize("text", ["[1, 2]", '"text"'])
def test_json_that_is_not_an_object_reads_as_empty(state: UpdateState, text: str) -> None:
    state.path.parent.mkdir(parents=True)
    state.path.write_text(text)
    assert state.read()["slots"] == {}


def test_update_sets_keys_and_keeps_the_others(state: UpdateState) -> None:
    state.update(pending={"slot": "B"}, last_install={"result": "ok"})
    answer = state.update(pending=None)
    assert answer["pending"] is None and answer["last_install"] == {"result": "ok"}
    assert state.read() == answer
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o644
    assert json.loads(state.path.read_text()) == answer  # sorted, indented JSON on disk
    assert list(json.loads(state.path.read_text())) == sorted(answer)


def test_unknown_keys_in_the_file_are_dropped(state: UpdateState) -> None:
    state.path.parent.mkdir(parents=True)
    state.path.write_text(json.dumps({"pending": {"slot": "A"}, "from_old_firmware": 1}))
    assert "from_old_firmware" not in state.read()
    state.update(last_commit={"at": "now"})
    assert "from_old_firmware" not in json.loads(state.path.read_text())


def test_set_slot_records_the_firmware_and_when(
    state: UpdateState, monkeypatch: pytest.MonkeyPatch
) -> None:
    state.set_slot("A", "1.0.0", "2026-01-01T00:00:00Z")
    monkeypatch.setattr(state_module, "now_iso", lambda: "2026-12-01T20:00:00Z")
    state.set_slot("B", "1.1.0", "2026-06-01T00:00:00Z")
    slots = state.read()["slots"]
    assert set(slots) == {"A", "B"}
    assert slots["B"] == {"version": "1.1.0", "build_date": "2026-06-01T00:00:00Z",
                          "recorded_at": "2026-12-01T20:00:00Z"}  # fmt: skip
    assert slots["A"]["version"] == "1.0.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", slots["A"]["recorded_at"])


def test_concurrent_updates_lose_no_key(state: UpdateState) -> None:
    keys = ("pending", "last_install", "last_commit", "last_rollback", "config")

    def write(key: str) -> None:
        for n in range(20):
            state.update(**{key: n})

    threads = [threading.Thread(target=write, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(state.read()[key] == 19 for key in keys)
