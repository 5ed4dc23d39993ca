"""orpheusctl tls show [--json] | tls install CERT KEY"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from orpheus.cli.client import AgentClient
from orpheus.cli.output import print_json, print_table

# Larger than anything the agent takes (it refuses past its own caps with one line).
MAX_FILE_BYTES = 256 * 1024


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("tls", help="the certificate served over HTTPS")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show_parser = actions.add_parser("show", help="the certificate, its fingerprint and origin")
    show_parser.add_argument("--json", action="store_true", help="print the API's JSON")
    show_parser.set_defaults(func=show)
    install_parser = actions.add_parser(
        "install", help="serve a certificate (PEM, chain leaf first) and its key (PEM)"
    )
    install_parser.add_argument("cert", type=Path)
    install_parser.add_argument("key", type=Path)
    install_parser.set_defaults(func=install)


def rows(answer: dict[str, Any]) -> list[tuple[str, object]]:
    cert = answer["certificate"]
    if answer["origin"] == "installed":
        origin = f"installed by {answer['installed_by']} at {answer['installed_at']}"
    else:
        origin = "the unit's own (self-signed)"
    if not cert:
        return [("Origin", origin), ("Certificate", "none: HTTPS is not served")]
    names = [*cert["dns_names"], *cert["ip_addresses"]]
    return [
        ("Fingerprint", f"SHA-256 {cert['fingerprint_sha256']}"),
        ("Origin", origin),
        ("Subject", cert["subject"]),
        ("Issuer", cert["issuer"]),
        ("Names", ", ".join(names) or "-"),
        ("Key", cert["key_type"]),
        ("Valid", f"{cert['not_before']} to {cert['not_after']}"),
        ("Port", answer["https_port"]),
    ]


def show(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/tls")
    if args.json:
        print_json(answer)
    else:
        print_table(rows(answer))
    return 0


def _read(path: Path, what: str) -> str | None:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        print(f"orpheusctl: cannot read {what} {path}: {error.strerror}", file=sys.stderr)
        return None
    if len(data) > MAX_FILE_BYTES:
        print(f"orpheusctl: {what} {path} is over {MAX_FILE_BYTES} bytes", file=sys.stderr)
        return None
    return data.decode("utf-8", errors="replace")


def install(args: argparse.Namespace, client: AgentClient) -> int:
    cert = _read(args.cert, "certificate")
    key = _read(args.key, "key")
    if cert is None or key is None:
        return 1
    answer = client.request("PUT", "/api/v1/tls", {"certificate": cert, "key": key})
    fingerprint = answer["certificate"]["fingerprint_sha256"]
    print(f"certificate installed, served to new connections now: SHA-256 {fingerprint}")
    return 0
