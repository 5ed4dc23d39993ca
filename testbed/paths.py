"""Where the source tree, its build output and the harnesses' logs are."""

from __future__ import annotations

from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent.parent
BUILD_DIR = SOURCE_DIR / "build"
# Where the tests keep the serial console of each guest they booted.
LOG_DIR = BUILD_DIR / "test-logs"
# The source tree's virtual environment: the agent and orpheusctl run with it in a lab.
VENV_PYTHON = SOURCE_DIR / ".venv/bin/python"
