"""release.json has one reader (orpheus.firmware), for the status, updates and HA."""

from __future__ import annotations

import json
from pathlib import Path

from orpheus.firmware import read_release


def test_every_field_of_release_json(tmp_path: Path) -> None:
    path = tmp_path / "release.json"
    fields = {"version": "1.2.0", "build_date": "2026-12-01T00:00:00Z", "commit": "abc",
              "compatible": "orpheus-x86_64", "min_version": "1.0.0"}  # fmt: skip
    path.write_text(json.dumps(fields))
    release = read_release(path)
    assert (release.version, release.compatible, release.min_version) == (
        "1.2.0",
        "orpheus-x86_64",
        "1.0.0",
    )


def test_missing_or_broken_file_reads_as_unknown(tmp_path: Path) -> None:
    for text in (None, "not json", "[1, 2]"):
        path = tmp_path / "release.json"
        if text is not None:
            path.write_text(text)
        release = read_release(path)
        assert release.version == "unknown" and release.min_version == "0.0.0"
        assert release.compatible == "unknown"  # refuses every bundle rather than guessing
