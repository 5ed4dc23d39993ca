"""/api/v1/cdr on the real bottle application: the records only with the privacy password
(privacy's unlock: wrong ones audited and rate limited), filtered, as JSON or CSV, each read
audited; an event that does not fit is refused and counted."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.auth import PasswordStore
from orpheus.cdr.feature import CdrFeature, CdrReader
from orpheus.cdr.store import CdrStore
from orpheus.privacy.feature import PrivacyFeature
from orpheus.privacy.keys import PrivacyKeys
from tests.unit.cdr.test_records import event
from tests.unit.privacy.test_feature import Audit

PASSWORD = "the officer's pässwörd"


def request(
    app: Any, query: str = "", password: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/api/v1/cdr",
            "QUERY_STRING": query,
            "wsgi.input": io.BytesIO(b""),
            LOCAL_ENVIRON_KEY: True,
        }
    )
    if password is not None:
        environ["HTTP_X_PRIVACY_PASSWORD"] = password.encode().decode("latin-1")
    answer: list[Any] = []
    data = b"".join(app(environ, lambda status, headers, *_: answer.extend([status, headers])))
    return int(answer[0].split()[0]), dict(answer[1]), data


def make(tmp_path: Path) -> tuple[Api, Audit, CdrFeature, PrivacyKeys]:
    api, audit = Api(PasswordStore(tmp_path)), Audit()
    keys = PrivacyKeys(tmp_path / "privacy-key.json", 2**10)
    privacy = PrivacyFeature(keys, audit)
    feature = CdrFeature(CdrStore(tmp_path / "cdr", keys.recipient), privacy.unlock, audit)
    privacy.install_routes(api)
    feature.install_routes(api)
    return api, audit, feature, keys


def test_records_need_the_password_and_filter(tmp_path: Path) -> None:
    api, audit, feature, keys = make(tmp_path)
    feature.receive(event())  # no privacy password yet: not stored
    assert feature.alarms() and "no privacy password" in feature.alarms()[0]
    assert request(api.app, "", PASSWORD)[0] == 409  # nothing to unlock yet
    keys.set_password(PASSWORD, None)
    feature.receive(event())
    feature.receive(
        event(
            UniqueID="1764806400.43",
            Disposition="BUSY",
            BillableSeconds="0",
            DestinationChannel="PJSIP/102-00000001",
        )
    )
    feature.receive(event(UniqueID="not an id"))
    assert feature.refused == 1

    assert request(api.app)[0] == 403
    status, _, body = request(api.app, "", "wrong password")
    assert status == 403 and b"wrong privacy password" in body
    wrong = [e for e in audit.entries if e.change == "privacy.wrong-password"]
    assert wrong and wrong[-1].after == {"source": "console", "for": "call detail records"}

    status, _, body = request(api.app, "", PASSWORD)
    answer = json.loads(body)
    assert status == 200 and answer["damaged"] == 0
    assert [r["disposition"] for r in answer["records"]] == ["answered", "busy"]
    status, _, body = request(api.app, "disposition=busy&extension=102", PASSWORD)
    assert [r["id"] for r in json.loads(body)["records"]] == ["1764806400.43"]
    status, _, body = request(api.app, "trunk=carrier&from=2025-12-05", PASSWORD)
    assert json.loads(body)["records"] == []

    status, headers, body = request(api.app, "format=csv&trunk=carrier", PASSWORD)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [row["id"] for row in rows] == ["1764806400.42"]
    assert rows[0]["start"] == "2025-12-04T00:00:00+00:00" and int(rows[0]["billsec"]) == 60
    read = [e for e in audit.entries if e.change == "cdr.read"]
    assert read[-1].after == {
        "from": None,
        "until": None,
        "extension": None,
        "trunk": "carrier",
        "disposition": None,
        "format": "csv",
        "records": 1,
    }


def test_bad_queries_are_400_before_the_password(tmp_path: Path) -> None:
    api, audit, _, _ = make(tmp_path)
    for query in (
        "from=yesterday",
        "from=2025-02-30",
        "from=2025-12-05&until=2025-12-04",
        "disposition=ANSWERED",
        "format=xml",
        "trunk=../x",
        "extension=1%0a2",
    ):
        assert request(api.app, query, "wrong password")[0] == 400, query
    assert not audit.entries


def test_wrong_passwords_are_rate_limited(tmp_path: Path) -> None:
    api, _, _, keys = make(tmp_path)
    keys.set_password(PASSWORD, None)
    statuses = [request(api.app, "", "wrong password")[0] for _ in range(6)]
    assert statuses[:5] == [403] * 5 and statuses[5] == 429
    assert request(api.app, "", PASSWORD)[0] == 429  # even the right one, while blocked


class _Session:
    def __init__(self, messages: list[dict[str, str]]) -> None:
        self.messages = messages

    def next_message(self) -> dict[str, str]:
        if not self.messages:
            raise AsteriskUnavailable("AMI connection closed by Asterisk")
        return self.messages.pop(0)


class _Asterisk(Asterisk):
    def __init__(self, messages: list[dict[str, str]]) -> None:
        super().__init__(["/bin/false"])
        self.messages = messages
        self.classes: list[str] = []

    @contextlib.contextmanager
    def event_session(self, events: str) -> Iterator[Any]:
        self.classes.append(events)
        yield _Session(self.messages)


class _Switch:
    def __init__(self) -> None:
        self.ensured = 0

    def ensure(self) -> None:
        self.ensured += 1


def test_the_reader_hands_on_cdr_events_only() -> None:
    got: list[Any] = []
    asterisk = _Asterisk([{"Event": "FullyBooted"}, event(), {"Event": "Newchannel"}])
    switch = _Switch()
    reader = CdrReader(asterisk, switch, got.append)  # type: ignore[arg-type]
    with pytest.raises(AsteriskUnavailable):
        reader._read()
    assert got == [event()] and asterisk.classes == ["cdr"] and switch.ensured == 1
