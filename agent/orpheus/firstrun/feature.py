"""GET/POST /api/v1/setup: whether the first-run wizard (password, time, SNMP) was finished
or skipped on this unit, so the page leads an administrator to it only once. Kept in
state_dir/setup.json; each unit's own (its administrators are)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orpheus import files
from orpheus.api.app import Api, json_body
from orpheus.api.requester import request_user
from orpheus.api.schema import obj, string
from orpheus.audit.log import AuditEntry, AuditSink

log = logging.getLogger(__name__)

AREA = "network"  # the wizard changes the unit's system settings
FINISHED, SKIPPED = "finished", "skipped"
STATE = obj({"completed": {"type": "boolean"}, "outcome": {"enum": [FINISHED, SKIPPED]},
             "by": string(max_length=64), "at": string(max_length=40)},
            ("completed",))  # fmt: skip


class SetupFeature:
    name = "setup"

    def __init__(self, state_file: Path, audit: AuditSink) -> None:
        self._file = state_file
        self._audit = audit

    def install_routes(self, api: Api) -> None:
        api.route("GET", "/api/v1/setup", self.show, area=AREA,
                  summary="Whether the first-run wizard was finished or skipped",
                  response=STATE)  # fmt: skip
        api.route("POST", "/api/v1/setup", self.complete, area=AREA,
                  summary="Records the first-run wizard as finished or skipped: the page "
                  "does not lead to it again", body=obj({"outcome": {"enum": [FINISHED, SKIPPED]}},
                                                         ("outcome",)),
                  response=STATE)  # fmt: skip

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def show(self) -> dict[str, Any]:
        try:
            saved = json.loads(self._file.read_text())
        except FileNotFoundError:
            return {"completed": False}
        except ValueError:  # damaged: better shown once more than never
            return {"completed": False}
        if not isinstance(saved, dict) or saved.get("outcome") not in (FINISHED, SKIPPED):
            return {"completed": False}
        return {"completed": True, **{k: str(saved[k]) for k in ("outcome", "by", "at")
                                      if k in saved}}  # fmt: skip

    def complete(self) -> dict[str, Any]:
        before = self.show()
        state = {"outcome": json_body()["outcome"], "by": request_user(),
                 "at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        files.write_file(self._file, json.dumps(state, sort_keys=True) + "\n", mode=0o600)
        self._audit.append(AuditEntry("setup.complete", "first-run wizard", request_user(),
                                      before, state))  # fmt: skip
        return self.show()
