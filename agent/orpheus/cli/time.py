"""orpheusctl time show [--json] | time set [--timezone ZONE] [--ntp A,B | --ntp ""]"""

from __future__ import annotations

import argparse
from typing import Any

from orpheus.cli.client import AgentClient
from orpheus.cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("time", help="the time zone and NTP servers")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show_parser = actions.add_parser("show", help="the settings, the time now and NTP's state")
    show_parser.add_argument("--json", action="store_true", help="print the API's JSON")
    show_parser.set_defaults(func=show)
    change = actions.add_parser("set", help="change the time zone and/or the NTP servers")
    change.add_argument("--timezone", help="an IANA zone name, e.g. Europe/Rome")
    change.add_argument(
        "--ntp", type=servers, help='NTP servers, comma-separated ("": Debian\'s pool only)'
    )
    change.set_defaults(func=set_time)


def servers(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def rows(answer: dict[str, Any]) -> list[tuple[str, object]]:
    shown: list[tuple[str, object]] = [
        ("Time zone", answer["timezone"]),
        ("NTP servers", ", ".join(answer.get("ntp_servers", [])) or "- (none: DHCP's, if any)"),
        ("Now (UTC)", answer.get("now", "")),
    ]
    if "synchronized" in answer:
        shown.append(("Synchronized", "yes" if answer["synchronized"] else "no"))
    if answer.get("applied") is False:
        shown.append(("NOT APPLIED", answer.get("apply_error", "")))
    return shown


def show(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/time")
    if args.json:
        print_json(answer)
    else:
        print_table(rows(answer))
    return 0


def set_time(args: argparse.Namespace, client: AgentClient) -> int:
    settings: dict[str, Any] = {}
    if args.timezone is not None:
        settings["timezone"] = args.timezone
    if args.ntp is not None:
        settings["ntp_servers"] = args.ntp
    if not settings:
        print("orpheusctl: time set: give --timezone and/or --ntp")
        return 2
    answer = client.request("PUT", "/api/v1/time", settings)
    print_table(rows(answer))
    return 0 if answer.get("applied", True) else 1
