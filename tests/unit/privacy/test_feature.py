"""/api/v1/privacy on the real bottle application: set, change, export; wrong passwords are
refused, audited and rate limited per source address."""

from __future__ import annotations

import json
from pathlib import Path

from orpheus.api.app import Api
from orpheus.audit.log import AuditEntry
from orpheus.auth import PasswordStore
from orpheus.privacy import age
from orpheus.privacy.feature import PrivacyFeature
from orpheus.privacy.keys import PrivacyKeys
from tests.unit.wsgi_call import call

PASSWORD = "the officer's password"
ADMIN = ("admin", "admin-password")


class Audit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


def make(tmp_path: Path) -> tuple[Api, Audit]:
    passwords = PasswordStore(tmp_path)
    passwords.set(ADMIN[1])
    api = Api(passwords)
    audit = Audit()
    feature = PrivacyFeature(PrivacyKeys(tmp_path / "privacy-key.json", 2**10), audit)
    feature.install_routes(api)
    return api, audit


def body(**fields: str) -> bytes:
    return json.dumps(fields).encode()


def test_set_change_and_export(tmp_path: Path) -> None:
    api, audit = make(tmp_path)
    assert call(api.app, "GET", "/api/v1/privacy").body["password_set"] is False
    answer = call(api.app, "PUT", "/api/v1/privacy", body=body(password=PASSWORD))
    assert answer.status == 200 and answer.body["recipient"].startswith("age1")
    exported = call(api.app, "POST", "/api/v1/privacy/identity", body=body(password=PASSWORD))
    identity = age.parse_identity(exported.body["identity"])
    assert age.recipient_text(age.public_of(identity)) == answer.body["recipient"]
    changed = call(
        api.app,
        "PUT",
        "/api/v1/privacy",
        body=body(password="a new officer password", old_password=PASSWORD),
    )
    assert changed.status == 200 and changed.body["recipient"] == answer.body["recipient"]
    assert [e.change for e in audit.entries] == [
        "privacy.password-set",
        "privacy.identity-export",
        "privacy.password-change",
    ]
    assert all("identity" not in json.dumps(e.after) for e in audit.entries)


def test_a_change_without_the_old_password_is_refused(tmp_path: Path) -> None:
    api, _ = make(tmp_path)
    call(api.app, "PUT", "/api/v1/privacy", body=body(password=PASSWORD))
    answer = call(api.app, "PUT", "/api/v1/privacy", body=body(password="another password!"))
    assert answer.status == 409 and "old one is needed" in answer.body["error"]
    short = call(
        api.app, "PUT", "/api/v1/privacy", body=body(password="short", old_password=PASSWORD)
    )
    assert short.status == 400 and "too short" in short.body["error"]


def test_wrong_passwords_are_audited_and_blocked_per_address(tmp_path: Path) -> None:
    api, audit = make(tmp_path)
    call(api.app, "PUT", "/api/v1/privacy", body=body(password=PASSWORD))
    statuses = [
        call(
            api.app,
            "POST",
            "/api/v1/privacy/identity",
            body=body(password=f"wrong {i}"),
            auth=ADMIN,
        ).status
        for i in range(7)
    ]
    assert statuses[:5] == [403] * 5 and statuses[5:] == [429, 429]
    # Blocked: the right password is refused too, without scrypt, from that address only.
    right = call(
        api.app, "POST", "/api/v1/privacy/identity", body=body(password=PASSWORD), auth=ADMIN
    )
    assert right.status == 429
    console = call(api.app, "POST", "/api/v1/privacy/identity", body=body(password=PASSWORD))
    assert console.status == 200
    changes = [e.change for e in audit.entries]
    assert changes.count("privacy.wrong-password") == 5
    assert changes.count("privacy.password-blocked") == 1
