"""https/banner.py: the console's login banner (agetty's issue file)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from orpheus.https import banner

FINGERPRINT = ":".join(f"{n:02X}" for n in range(32))


def test_serial_url_and_fingerprint_in_lines_a_console_shows() -> None:
    text = banner.render("ORP-1", FINGERPRINT, 443)
    lines = text.splitlines()
    assert lines[0] == "Orpheus IP-PBX, serial ORP-1"
    assert lines[1] == "  Web administration: https://\\4/"
    assert lines[2] == "  HTTPS certificate SHA-256 fingerprint:"
    assert "".join(line.strip() for line in lines[3:]) == FINGERPRINT
    assert all(len(line) <= 80 for line in lines)
    assert text.endswith("\n\n")


def test_another_port_and_missing_values() -> None:
    text = banner.render(None, None, 8443)
    assert "serial not set" in text
    assert "https://\\4:8443/" in text
    assert "none (HTTPS is not served)" in text


def test_a_backslash_in_a_value_is_not_an_agetty_escape() -> None:
    assert "serial a\\\\4b" in banner.render("a\\4b", FINGERPRINT, 443)


def test_written_world_readable_and_prompts_reloaded(tmp_path: Path) -> None:
    marker = tmp_path / "reloaded"
    path = tmp_path / "run/issue"
    banner.write(path, "text\n", ["touch", str(marker)])
    assert path.read_text() == "text\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert marker.exists()


def test_a_reload_that_fails_is_only_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    banner.write(tmp_path / "issue", "text\n", ["false"])
    assert (tmp_path / "issue").read_text() == "text\n"
    assert "prompts not reloaded" in caplog.text
    banner.write(tmp_path / "issue", "again\n", [])
    assert (tmp_path / "issue").read_text() == "again\n"
