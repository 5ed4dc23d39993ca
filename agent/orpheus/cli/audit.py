"""orpheusctl audit [--since DATE|TIME] [--json]: every configuration change, who, when."""

from __future__ import annotations

import argparse
import json
import urllib.parse

from orpheus.cli.client import AgentClient
from orpheus.cli.output import print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("audit", help="the audit log of configuration changes")
    parser.add_argument("--since", help="only changes at or after this ISO date or time (UTC)")
    parser.add_argument("--json", action="store_true", help="print the API's JSON")
    parser.set_defaults(func=show)


def show(args: argparse.Namespace, client: AgentClient) -> int:
    query = f"?since={urllib.parse.quote(args.since)}" if args.since else ""
    entries = client.request("GET", f"/api/v1/audit{query}")
    if args.json:
        print_json(entries)
        return 0
    for entry in entries:
        print(f"{entry['at']}  {entry['user']:<20}  {entry['change']:<20}  {entry['object']}")
        print(f"    before: {json.dumps(entry['before'], sort_keys=True)}")
        print(f"    after:  {json.dumps(entry['after'], sort_keys=True)}")
    return 0
