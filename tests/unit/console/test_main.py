"""orpheus-console as agetty runs it: `-- NAME`, the lines on its standard input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

AGENT_DIR = Path(__file__).resolve().parents[3] / "agent"


def _console(tmp_path: Path, *args: str, lines: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "import sys; from orpheus.console.main import main; "
               "sys.exit(main())", "--socket", str(tmp_path / "no-agent.sock"), *args]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(AGENT_DIR), "LANG": "C"}
    return subprocess.run(command, input=lines, capture_output=True, text=True, env=env,
                          timeout=60, check=False)  # fmt: skip


def test_without_the_agent_the_log_in_is_refused_in_one_line(tmp_path: Path) -> None:
    result = _console(tmp_path, "--", "admin", lines="some-password\n")
    assert result.returncode == 1
    assert "Refused: the agent is not running" in result.stdout
    assert result.stderr == ""  # no traceback


def test_end_of_input_at_once_is_a_clean_exit(tmp_path: Path) -> None:
    result = _console(tmp_path, "--", "admin", lines="")
    assert result.returncode == 0 and result.stdout.endswith("Logged out.\n")
    assert result.stderr == ""


def test_bytes_that_are_not_utf8_are_no_exception(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; from orpheus.console.main import main; "
               "sys.exit(main())", "--socket", str(tmp_path / "none.sock")]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(AGENT_DIR), "LANG": "C"}
    result = subprocess.run(command, input=b"\xff\xfe\x1b[2J\n", capture_output=True, env=env,
                            timeout=60, check=False)  # fmt: skip
    assert result.returncode == 1 and result.stderr == b""
    assert b"Only 'admin' logs in here" in result.stdout
    assert b"\x1b" not in result.stdout
