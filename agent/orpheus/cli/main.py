"""orpheusctl entry point; each area adds its commands in its own module."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from orpheus.cli import (
    admin,
    ami,
    audit,
    calls,
    capture,
    cdr,
    factory,
    firewall,
    ha,
    identity,
    jobs,
    licensing,
    network,
    pbx,
    privacy,
    recordings,
    report,
    snmp,
    status,
    storage,
    time,
    tls,
    update,
    users,
)
from orpheus.cli.client import AgentClient, AgentError
from orpheus.config import AgentConfig

COMMAND_MODULES = (
    status, admin, update, jobs, ha, snmp, identity, licensing, pbx, calls, ami, audit, users,
    privacy, recordings, cdr, storage, report, firewall, capture, tls, network, time, factory,
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orpheusctl", description="Orpheus appliance control")
    parser.add_argument(
        "--socket",
        type=Path,
        default=Path(os.environ.get("ORPHEUS_SOCKET", AgentConfig().socket_path)),
        help="the agent's Unix socket (default: %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    client = AgentClient(args.socket)
    try:
        return int(args.func(args, client))
    except AgentError as error:
        print(f"orpheusctl: {error}", file=sys.stderr)
        return 1
