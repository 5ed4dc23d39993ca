"""The default per-route body caps."""

from __future__ import annotations

import shutil
from pathlib import Path

from orpheus.api.body_limit import (
    JSON_BODY_LIMIT,
    free_bytes,
    json_only,
    request_body_limit,
)


def test_without_declarations_every_route_takes_1_mib() -> None:
    assert json_only("PUT", "/api/v1/license") == JSON_BODY_LIMIT == 1024 * 1024
    assert json_only("POST", "/api/v1/update") == JSON_BODY_LIMIT


def test_free_space_is_the_filesystems(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    assert abs(free_bytes(tmp_path) - free) < 64 * 1024 * 1024  # other writers meanwhile


def test_free_space_of_a_directory_not_made_yet_is_its_parents(tmp_path: Path) -> None:
    assert free_bytes(tmp_path / "not/made/yet") > 0


def test_only_uploads_may_exceed_a_json_body() -> None:
    def limit(method: str, path: str) -> int:
        return 10 * JSON_BODY_LIMIT

    upload = "application/octet-stream"
    assert request_body_limit(limit, "POST", "/u", upload) == 10 * JSON_BODY_LIMIT
    assert request_body_limit(limit, "POST", "/u", "Application/Octet-Stream; x=1") > 1000
    assert request_body_limit(limit, "POST", "/u", "application/json") == JSON_BODY_LIMIT
    assert request_body_limit(limit, "POST", "/u", "") == JSON_BODY_LIMIT
    assert request_body_limit(lambda m, p: -5, "POST", "/u", upload) == 0
    # A full disk (an upload cap of 0) does not refuse the route's small JSON requests.
    assert request_body_limit(lambda m, p: 0, "POST", "/u", "application/json") == JSON_BODY_LIMIT
