"""orpheusctl cdr list|export: the call detail records, decrypted with the privacy password
(read from the terminal, or with --stdin from standard input), filtered by the agent."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from orpheus.cdr.records import DISPOSITIONS
from orpheus.cli.client import AgentClient, api_path, download
from orpheus.cli.output import print_json, written_whole
from orpheus.cli.privacy import read_password

PASSWORD_HEADER = "X-Privacy-Password"  # noqa: S105 (a header name)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("cdr", help="call detail records (encrypted; the password)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    list_parser = actions.add_parser("list", help="the records, oldest first")
    _filters(list_parser)
    list_parser.add_argument("--json", action="store_true", help="print the API's JSON")
    list_parser.set_defaults(func=list_records)
    export = actions.add_parser("export", help="the records as CSV")
    _filters(export)
    export.add_argument("-o", "--output", type=Path, help="the CSV file (default: stdout)")
    export.set_defaults(func=export_records)


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="since", metavar="YYYY-MM-DD", help="from this day (UTC)")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="up to this day (UTC)")
    parser.add_argument("--extension", help="the caller, the called number or an extension")
    parser.add_argument("--trunk", help="calls through this trunk")
    parser.add_argument("--disposition", choices=list(DISPOSITIONS.values()))
    parser.add_argument(
        "--stdin", action="store_true", help="read the privacy password from standard input"
    )


def _path(args: argparse.Namespace, output: str) -> str:
    query = {"format": output}
    for name, value in (
        ("from", args.since),
        ("until", args.until),
        ("extension", args.extension),
        ("trunk", args.trunk),
        ("disposition", args.disposition),
    ):
        if value:
            query[name] = value
    return api_path("cdr", **query)


def _get(args: argparse.Namespace, client: AgentClient, output: str) -> bytes:
    # The header carries the password's UTF-8 bytes (http.client sends a str as latin-1).
    password = read_password("Privacy password: ", args.stdin).encode().decode("latin-1")
    out = io.BytesIO()
    download(client, _path(args, output), {PASSWORD_HEADER: password}, out)
    return out.getvalue()


def list_records(args: argparse.Namespace, client: AgentClient) -> int:
    answer: dict[str, Any] = json.loads(_get(args, client, "json"))
    if args.json:
        print_json(answer)
        return 0
    for r in answer["records"]:
        print(
            f"{r['start']:<26} {r['direction']:<9} {r['src'] or '-':>14} -> {r['dst'] or '-':<14} "
            f"{r['disposition']:<10} {r['billsec']:>6} s  {r['trunk'] or '-'}"
        )
    if answer["damaged"]:
        print(f"orpheusctl: {answer['damaged']} damaged record(s) skipped", file=sys.stderr)
    return 0


def export_records(args: argparse.Namespace, client: AgentClient) -> int:
    data = _get(args, client, "csv")
    if args.output is None:
        sys.stdout.write(data.decode())
        return 0
    with written_whole(args.output) as out:
        out.write(data)
    records = data.count(b"\r\n") - 1  # the header line is not a record
    print(f"{args.output}: {records} record(s)", file=sys.stderr)
    return 0
