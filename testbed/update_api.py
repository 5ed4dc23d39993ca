"""The agent's update and jobs routes on a real server, with RAUC and systemd faked (both run
only in the booted image): `python -m testbed.update_api DIR PORT PASSWORD`.

For fuzzing those routes on the host. Run it in a network namespace with only loopback: an
install from a made-up URL asks that URL (a HEAD request) before RAUC is asked anything.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from orpheus.api.app import Api
from orpheus.api.schema import UPLOAD
from orpheus.api.server import make_tcp_server
from orpheus.audit.log import AuditLog
from orpheus.auth import PasswordStore
from orpheus.config import AgentConfig
from orpheus.dbus.fakes import FakeRauc, FakeSystemd
from orpheus.dbus.rauc import BundleInfo
from orpheus.firmware import read_release
from orpheus.jobs.feature import JobsFeature
from orpheus.jobs.registry import JobRegistry
from orpheus.update.wiring import update_features

COMPATIBLE = "orpheus-x86_64"


class NoCalls:
    """No call in progress: a reboot after an install does not wait (systemd is a fake)."""

    def active_calls(self) -> int:
        return 0


def build(directory: Path, password: str) -> Api:
    release = directory / "release.json"
    release.write_text(json.dumps({"version": "1.0.0", "compatible": COMPATIBLE}))
    config = AgentConfig(data_dir=directory / "data", release_file=release)
    (config.data_dir / "etc/asterisk").mkdir(parents=True, exist_ok=True)
    jobs = JobRegistry()
    update, _ = update_features(
        config, "A", lambda: (True, "ok"), NoCalls(),  # type: ignore[arg-type]
        read_release(release), AuditLog(config.state_dir / "pbx.sqlite"),
        systemd=FakeSystemd(),
        rauc=FakeRauc(bundle=BundleInfo(COMPATIBLE, "1.1.0", "2026-02-01", {}, {})),
        jobs=jobs,
    )  # fmt: skip
    passwords = PasswordStore(config.state_dir)
    passwords.set(password)
    api = Api(passwords)
    update.install_routes(api)
    JobsFeature(jobs).install_routes(api)
    update.start()
    return api


def main() -> None:
    directory, port, password = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    api = build(directory, password)

    def body_limit(method: str, path: str) -> int:
        return api.body_limit(method, path, UPLOAD)

    server = make_tcp_server(api.app, "127.0.0.1", port, body_limit=body_limit,
                             spool_dir=directory / "spool")  # fmt: skip
    print("serving", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
