"""orpheusctl license show [--json] | license install FILE"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from orpheus.cli.client import AgentClient
from orpheus.cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("license", help="tier, limits, usage and the licence")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show_parser = actions.add_parser("show", help="tier, limits and current usage")
    show_parser.add_argument("--json", action="store_true", help="print the API's JSON")
    show_parser.set_defaults(func=show)
    install_parser = actions.add_parser("install", help="install a licence file (no reboot)")
    install_parser.add_argument("file", type=Path)
    install_parser.set_defaults(func=install)


def _figure(value: object) -> str:
    if value is None:
        return "unlimited"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def rows(answer: dict[str, Any]) -> list[tuple[str, object]]:
    limits, usage = answer["limits"], answer["usage"]
    source = f"licence {answer['license_id']}" if answer["license_id"] else "board base tier"
    bound = answer["bound_to"]
    days = answer["update_support_days_left"]
    table: list[tuple[str, object]] = [
        ("Tier", f"{answer['tier_title']} ({source})"),
        ("Board", answer["board"]),
    ]
    if answer["alarm"]:
        table.append(("ALARM", answer["alarm"]))
    calls = "" if not limits["external_calls_only"] else " (calls through trunks)"
    for name in limits:
        if name == "external_calls_only":
            continue
        used = usage.get(name)
        title = name.replace("_", " ").capitalize() + (calls if name == "concurrent_calls" else "")
        shown = _figure(used) if used is not None else "-"
        table.append((title, f"{shown} of {_figure(limits[name])}"))
    table += [
        ("Add-ons", ", ".join(answer["addons"]) or "none"),
        (
            "Update support",
            f"until {answer['update_support_until']} ({days} days left)"
            if answer["update_support_until"]
            else "-",
        ),
        (
            "Bound to",
            f"{bound['serial']} ({bound['fingerprint'] or 'any hardware'})" if bound else "-",
        ),
    ]
    return table


def show(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/license")
    if args.json:
        print_json(answer)
    else:
        print_table(rows(answer))
    return 0


def install(args: argparse.Namespace, client: AgentClient) -> int:
    try:
        document = json.loads(args.file.read_bytes())
    except OSError as error:
        print(f"orpheusctl: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"orpheusctl: licence is not valid JSON: {error}", file=sys.stderr)
        return 1
    answer = client.request("PUT", "/api/v1/license", document)
    print(f"licence {answer['license_id']} installed: tier {answer['tier_title']}, in force now")
    return 0
