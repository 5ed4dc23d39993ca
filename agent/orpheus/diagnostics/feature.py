"""GET /api/v1/report: the system report (tar + zstd) for support, audited.

Made in RAM (and a private directory on the run tmpfs for zstd), never on /data: with the
data partition full it still answers; if it cannot be made it fails with one line (503)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from orpheus.api.app import Api, ApiError
from orpheus.api.requester import request_user
from orpheus.api.stream import Stream
from orpheus.asterisk.adapter import Asterisk
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.diagnostics.archive import Archive, ReportFailed, compress
from orpheus.diagnostics.collect import Section, collect
from orpheus.diagnostics.redaction import Redactor
from orpheus.files import DiskFull

log = logging.getLogger(__name__)
CONTENT_TYPE = "application/zstd"


class ReportFeature:
    name = "report"

    def __init__(
        self,
        sections: dict[str, Section],
        asterisk: Asterisk,
        config_roots: dict[str, Path],
        scratch_dir: Path,
        data_dir: Path,
        audit: AuditSink,
    ) -> None:
        self._sections = sections
        self._asterisk = asterisk
        self._config_roots = config_roots
        self._scratch_dir = scratch_dir
        self._data_dir = data_dir
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET",
            "/api/v1/report",
            self.report,
            area="diagnostics",
            summary="The system report for support (tar + zstd, every secret redacted)",
            response={"type": "string", "format": "binary"},
            response_type=CONTENT_TYPE,
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def build(self) -> bytes:
        archive = Archive()
        collect(
            archive, Redactor(), self._sections, self._asterisk, self._config_roots, self._data_dir
        )
        return compress(archive.tar(), self._scratch_dir)

    def report(self) -> Stream:
        try:
            data = self.build()
        except ReportFailed as error:
            raise ApiError(503, str(error)) from error
        try:
            self._audit.append(
                AuditEntry(
                    "report.create", "system report", request_user(), None, {"bytes": len(data)}
                )
            )
        except (OSError, sqlite3.Error, DiskFull) as error:  # a full /data: still answer
            log.error("could not audit report.create: %s", error)
        return Stream(CONTENT_TYPE, len(data), [data])
