"""The agent's licensing, AMI-account and PBX parts in process, in one directory, without Asterisk.

Asterisk's console command is `false` and nothing listens on the AMI port, so a change is
rendered, written and stored as on a unit whose Asterisk is stopped (its files are left for
Asterisk to read when it starts): the real file writing, store and API, no reload.
"""

from __future__ import annotations

import datetime
import io
import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orpheus.ami_users.feature import AmiUsersFeature
from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.asterisk.adapter import Asterisk, ManagerLogin
from orpheus.audit.feature import AuditFeature
from orpheus.audit.log import AuditLog
from orpheus.auth import PasswordStore
from orpheus.licensing.active import Licensing
from orpheus.licensing.document import sign
from orpheus.licensing.feature import LicensingFeature
from orpheus.pbx.apply import AsteriskApplier
from orpheus.pbx.configurator import PbxConfigurator
from orpheus.pbx.feature import PbxFeature
from orpheus.pbx.store import PbxStore
from orpheus.vendor.licences import public_pem
from testbed.pbx_unit import fake_sysfs

SERIAL = "ORP-FILES-0001"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Answer:
    status: int
    body: Any


class PbxUnit:
    """data_dir holds what a unit's data partition holds: orpheus/ and etc/asterisk/."""

    def __init__(self, data_dir: Path, work_dir: Path) -> None:
        self.data_dir = data_dir
        self.state_dir = data_dir / "orpheus"
        self.asterisk_dir = data_dir / "etc" / "asterisk"
        self.asterisk_dir.mkdir(parents=True, exist_ok=True)
        work_dir.mkdir(parents=True, exist_ok=True)
        self.vendor_key = Ed25519PrivateKey.generate()
        public = work_dir / "license-public.pem"
        public.write_bytes(public_pem(self.vendor_key))
        sysfs = fake_sysfs(work_dir / "sys", "11111111-2222-3333-4444-555555555555")
        self.licensing = Licensing(self.state_dir, sysfs, data_dir, public, "mini")
        self.licensing.write_identity(SERIAL, "mini", None, force=False)
        self.store = PbxStore(self.state_dir / "pbx.sqlite")
        login = ManagerLogin(closed_port(), "orpheus", "secret")
        asterisk = Asterisk(("false",), login)
        applier = AsteriskApplier(self.asterisk_dir, asterisk)
        self.configurator = PbxConfigurator(self.store, applier, self.licensing)
        self.api = Api(PasswordStore(self.state_dir))
        self.audit = AuditLog(self.state_dir / "pbx.sqlite")
        LicensingFeature(self.licensing, self.configurator.usage, self.audit)\
            .install_routes(self.api)  # fmt: skip
        AuditFeature(self.audit).install_routes(self.api)
        # manager.conf, as the agent writes it before the PBX starts
        self.ami_users = AmiUsersFeature(self.state_dir, self.asterisk_dir, asterisk, self.audit)
        self.ami_users.install_routes(self.api)
        self.ami_users.start()
        PbxFeature(self.configurator, self.store, self.licensing).install_routes(self.api)

    def licence(self, tier: str = "lite") -> bytes:
        payload = {
            "license_id": f"L-{tier}-{SERIAL}",
            "serial": SERIAL,
            "tier": tier,
            "addons": [],
            "update_support_until": (
                datetime.date.today() + datetime.timedelta(days=400)
            ).isoformat(),
            "issued": datetime.date.today().isoformat(),
        }
        return json.dumps(sign(payload, self.vendor_key)).encode()

    def request(self, method: str, path: str, body: Any = None) -> Answer:
        """One request through the bottle app, as orpheusctl sends it on the Unix socket."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw),
            "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            LOCAL_ENVIRON_KEY: True,
        }
        status: list[str] = []
        chunks = self.api.app(environ, lambda line, headers, *_: status.append(line))
        text = b"".join(chunks).decode()
        return Answer(int(status[0].split()[0]), json.loads(text) if text else None)

    def asterisk_files(self) -> dict[str, bytes]:
        """Every file under etc/asterisk, byte for byte (the writer's own files included)."""
        return {
            str(p.relative_to(self.asterisk_dir)): p.read_bytes()
            for p in sorted(self.asterisk_dir.rglob("*"))
            if p.is_file()
        }

    def stored(self) -> tuple[object, object]:
        return self.store.load(), self.audit.read()
