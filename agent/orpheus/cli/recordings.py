"""orpheusctl recordings list|download|delete: the recordings on the internal target;
copy|move|archive: transfers between storage targets, as jobs (--wait follows one)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from orpheus.cli.client import AgentClient, AgentError, api_path, download
from orpheus.cli.jobs import job_lines
from orpheus.cli.output import human_bytes, print_json, written_whole
from orpheus.cli.privacy import read_password
from orpheus.recordings.names import is_recording_id

PASSWORD_HEADER = "X-Privacy-Password"  # noqa: S105 (a header name)
DIRECTIONS = {"in": "inbound", "out": "outbound", "internal": "internal"}
WAIT_POLL_SECONDS = 1.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("recordings", help="call recordings (encrypted)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    list_parser = actions.add_parser("list", help="the recordings, oldest first")
    list_parser.add_argument("--json", action="store_true", help="print the API's JSON")
    list_parser.set_defaults(func=list_recordings)
    get = actions.add_parser("download", help="decrypt a recording to a WAV file (password)")
    get.add_argument("id")
    get.add_argument("-o", "--output", type=Path, required=True, help="the WAV file to write")
    get.add_argument(
        "--stdin", action="store_true", help="read the privacy password from standard input"
    )
    get.set_defaults(func=download_recording)
    delete = actions.add_parser("delete", help="delete a recording")
    delete.add_argument("id")
    delete.set_defaults(func=delete_recording)
    for mode in ("copy", "move"):
        transfer = actions.add_parser(mode, help=f"{mode} recordings to another target (a job)")
        _transfer_options(transfer)
        transfer.add_argument("--since", metavar="YYYY-MM-DD", help="from this day (UTC)")
        transfer.add_argument("--until", metavar="YYYY-MM-DD", help="up to this day (UTC)")
        transfer.add_argument("--extension", help="the caller or the called party")
        transfer.add_argument("--direction", choices=sorted(DIRECTIONS))
        transfer.set_defaults(func=transfer_recordings, mode=mode)
    archive = actions.add_parser("archive", help="move recordings older than N days (a job)")
    _transfer_options(archive)
    archive.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    archive.set_defaults(func=transfer_recordings, mode="move")


def _transfer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, help="the target: internal or usb-<uuid>")
    parser.add_argument("--from", dest="source", help="the source target (default internal)")
    parser.add_argument("--wait", action="store_true", help="follow the job until it ends")


def list_recordings(args: argparse.Namespace, client: AgentClient) -> int:
    recordings = client.request("GET", "/api/v1/recordings")["recordings"]
    if args.json:
        print_json(recordings)
        return 0
    for r in recordings:
        print(
            f"{r['id']:<24} {r['started']:<26} {r['direction']:<9} {r['caller'] or '-':>12} -> "
            f"{r['called'] or '-':<12} {r['duration_seconds']:>8.1f} s  "
            f"{human_bytes(r.get('bytes'))}"
        )
    return 0


def _checked_id(text: str) -> str:
    if not is_recording_id(text):
        raise AgentError(f"not a recording id: {text!r}")
    return text


def download_recording(args: argparse.Namespace, client: AgentClient) -> int:
    recording_id = _checked_id(args.id)
    # The header carries the password's UTF-8 bytes (http.client sends a str as latin-1).
    password = read_password("Privacy password: ", args.stdin).encode().decode("latin-1")
    with written_whole(args.output) as out:
        written = download(
            client, api_path("recordings", recording_id, "audio"), {PASSWORD_HEADER: password}, out
        )
    print(f"{args.output}: {human_bytes(written)}", file=sys.stderr)
    return 0


def delete_recording(args: argparse.Namespace, client: AgentClient) -> int:
    recording_id = _checked_id(args.id)
    client.request("DELETE", api_path("recordings", recording_id))
    print(f"recording {recording_id} deleted")
    return 0


def transfer_request(args: argparse.Namespace) -> dict[str, Any]:
    """The API's body from the options given (the agent checks every value)."""
    body: dict[str, Any] = {"to": args.to}
    if args.source:
        body["from"] = args.source
    for name in ("since", "until", "extension"):
        if getattr(args, name, None):
            body[name] = getattr(args, name)
    if getattr(args, "direction", None):
        body["direction"] = DIRECTIONS[args.direction]
    if getattr(args, "older_than", None) is not None:
        body["older_than_days"] = args.older_than
    return body


def transfer_recordings(args: argparse.Namespace, client: AgentClient) -> int:
    job = client.request("POST", f"/api/v1/recordings/{args.mode}", transfer_request(args))
    if not args.wait:
        print(f"job {job['id']} started ({job['source']}): orpheusctl jobs show {job['id']}")
        return 0
    shown = ""
    while job["state"] == "running":
        line = job_lines([job])[1]
        if line != shown:
            print(line, file=sys.stderr)
            shown = line
        time.sleep(WAIT_POLL_SECONDS)
        job = client.request("GET", api_path("jobs", str(job["id"])))
    print(f"job {job['id']} {job['state']}: {job['message']}")
    return 0 if job["state"] == "succeeded" else 1
