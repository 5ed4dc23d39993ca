"""The agent's one way to run programs, with real short commands, and the rule that no other
module of the agent runs them on its own."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from orpheus import runner
from orpheus.runner import CommandError

AGENT = Path(__file__).resolve().parents[2] / "agent" / "orpheus"


def test_a_command_that_succeeds_returns_its_output() -> None:
    assert runner.run(["true"]).stdout == ""
    done = runner.run(["sh", "-c", "echo out; echo err >&2"])
    assert (done.stdout, done.stderr) == ("out\n", "err\n")
    assert runner.run(["cat"], input_text="fed\n").stdout == "fed\n"


def test_a_failure_names_the_command_and_its_exit_code_when_it_said_nothing() -> None:
    with pytest.raises(CommandError) as caught:
        runner.run(["false"])
    assert str(caught.value) == "false failed: exit code 1"
    assert caught.value.returncode == 1


def test_a_failure_names_the_command_and_its_last_stderr_line() -> None:
    script = "echo first >&2; echo x >&2; echo on stdout; exit 3"
    with pytest.raises(CommandError) as caught:
        runner.run(["sh", "-c", script])
    error = caught.value
    assert str(error) == f"sh -c '{script}' failed: x"
    assert "\n" not in str(error)
    assert (error.returncode, error.stdout, error.stderr) == (3, "on stdout\n", "first\nx\n")


def test_without_stderr_the_last_stdout_line_explains_the_failure() -> None:
    with pytest.raises(CommandError, match=r"failed: second$"):
        runner.run(["sh", "-c", "echo first; echo second; exit 2"])


def test_a_command_that_outlives_its_timeout_is_killed_and_named() -> None:
    started = time.monotonic()
    with pytest.raises(CommandError) as caught:
        runner.run(["sleep", "10"], timeout=0.3)
    assert time.monotonic() - started < 5
    assert str(caught.value) == "sleep 10 timed out after 0.3 s"
    assert caught.value.returncode is None


def test_a_missing_program_is_named() -> None:
    with pytest.raises(CommandError, match=r"^no-such-program-orpheus --flag not found$"):
        runner.run(["no-such-program-orpheus", "--flag"])


def test_a_long_command_line_is_shortened_in_the_message() -> None:
    with pytest.raises(CommandError) as caught:
        runner.run(["sh", "-c", "exit 4", "x" * 300])
    message = str(caught.value)
    assert message.endswith("... failed: exit code 4") and len(message) < 140


def test_paths_are_accepted_as_arguments(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("in a file\n")
    assert runner.run(["cat", tmp_path / "f"]).stdout == "in a file\n"


def test_a_spawned_child_runs_on_and_is_reaped(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    with log.open("ab") as out:
        child = runner.spawn(["sh", "-c", "echo started; echo err >&2; exit 5"], output=out)
    assert child.wait(10) == 5 and child.poll() == 5
    assert log.read_text() == "started\nerr\n"  # stderr joins stdout, as keepalived's log


def test_a_spawned_child_that_keeps_running_is_reported_by_wait() -> None:
    child = runner.spawn(["sleep", "30"], new_session=True)
    try:
        assert child.poll() is None
        with pytest.raises(CommandError, match=r"^sleep 30 still running after 0.1 s$"):
            child.wait(0.1)
    finally:
        child.terminate()
        child.wait(10)


def test_spawning_a_missing_program_is_named() -> None:
    with pytest.raises(CommandError, match=r"^no-such-daemon-orpheus not found$"):
        runner.spawn(["no-such-daemon-orpheus"])


def _imports_subprocess(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(
            alias.name.split(".")[0] == "subprocess" for alias in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "subprocess":
            return True
    return False


def test_only_the_runner_imports_subprocess() -> None:
    offenders = [
        str(path.relative_to(AGENT))
        for path in sorted(AGENT.rglob("*.py"))
        if path.name != "runner.py" or path.parent != AGENT
        if _imports_subprocess(path.read_text())
    ]
    assert offenders == [], f"run programs through orpheus.runner instead: {offenders}"


def test_the_import_check_sees_both_forms_of_import() -> None:
    assert _imports_subprocess("import os, subprocess\n")
    assert _imports_subprocess("def f():\n    from subprocess import run\n")
    assert not _imports_subprocess("from orpheus import runner\n")
