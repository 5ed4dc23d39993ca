"""orpheusctl status [--json]"""

from __future__ import annotations

import argparse
from typing import Any

from orpheus.cli.client import AgentClient
from orpheus.cli.output import human_bytes, print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("status", help="firmware, slot, health figures and Asterisk")
    parser.add_argument("--json", action="store_true", help="print the API's JSON")
    parser.set_defaults(func=show)


def show(args: argparse.Namespace, client: AgentClient) -> int:
    status = client.request("GET", "/api/v1/status")
    if args.json:
        print_json(status)
    else:
        print_table(rows(status))
    return 0


def _space(entry: dict[str, int] | None) -> str:
    if not entry:
        return "-"
    return f"{human_bytes(entry['free_bytes'])} free of {human_bytes(entry['total_bytes'])}"


def _fingerprint(value: str | None) -> str:
    return f"certificate SHA-256 {value}" if value else "-"


def rows(status: dict[str, Any]) -> list[tuple[str, object]]:
    asterisk = status["asterisk"]
    if asterisk["running"]:
        asterisk_text = f"running, version {asterisk['version']}, up {asterisk['uptime_seconds']} s"
    else:
        asterisk_text = f"NOT RUNNING ({asterisk['error']})"
    memory = status["memory"]
    return [
        ("Firmware", f"{status['version']} (built {status['build_date']}, {status['commit']})"),
        ("Agent", status["agent_version"]),
        ("Board", status["board"] or "-"),
        ("Booted slot", status["booted_slot"] or "-"),
        ("Uptime", f"{status['uptime_seconds']:.0f} s"),
        ("Load", " ".join(f"{value:.2f}" for value in status["load"])),
        (
            "Memory",
            f"{human_bytes(memory['available_bytes'])} available "
            f"of {human_bytes(memory['total_bytes'])}",
        ),
        ("Root", _space(status["storage"]["root"])),
        ("Data", _space(status["storage"]["data"])),
        ("Asterisk", asterisk_text),
        ("HTTPS", _fingerprint(status.get("tls_fingerprint"))),
        *(("ALARM", alarm) for alarm in status.get("alarms", [])),
        *(("WARNING", f"{weak} weak SIP password(s) of extensions or trunks (zxcvbn)")
          for weak in [status.get("weak_passwords", 0)] if weak),
    ]  # fmt: skip
