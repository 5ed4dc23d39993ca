"""orpheusctl jobs [list|show ID] [--json]: the agent's running and recent long actions."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from orpheus.cli.client import AgentClient, api_path
from orpheus.cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("jobs", help="running and recent jobs (updates, ...)")
    parser.set_defaults(func=list_jobs, json=False)
    actions = parser.add_subparsers(dest="action", metavar="[ACTION]")

    listing = actions.add_parser("list", help="every running and recent job (the default)")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")
    listing.set_defaults(func=list_jobs)

    show = actions.add_parser("show", help="one job with its log")
    show.add_argument("id", type=int, help="the job's id (from jobs list)")
    show.add_argument("--json", action="store_true", help="print the API's JSON")
    show.set_defaults(func=show_job)


def list_jobs(args: argparse.Namespace, client: AgentClient) -> int:
    jobs = client.request("GET", "/api/v1/jobs")
    if args.json:
        print_json(jobs)
    elif not jobs:
        print("no jobs since the agent started")
    else:
        for line in job_lines(jobs):
            print(line)
    return 0


def job_lines(jobs: list[dict[str, Any]]) -> list[str]:
    """One line per job under a header, oldest first as the API lists them."""
    lines = [f"{'ID':>5}  {'KIND':<10} {'STATE':<10} {'DONE':>4}  {'STARTED (UTC)':<19}  MESSAGE"]
    for job in jobs:
        lines.append(
            f"{job['id']:>5}  {job['kind']:<10} {job['state']:<10} {job['progress']:>3}%  "
            f"{utc(job['started_at']):<19}  {job['message']}"
        )
    return lines


def show_job(args: argparse.Namespace, client: AgentClient) -> int:
    job = client.request("GET", api_path("jobs", str(args.id)))
    if args.json:
        print_json(job)
        return 0
    print_table(rows(job))
    for line in job["log"]:
        print(f"    {line}")
    return 0


def rows(job: dict[str, Any]) -> list[tuple[str, object]]:
    return [
        ("Job", job["id"]),
        ("Kind", job["kind"]),
        ("Source", job["source"] or "-"),
        ("State", job["state"]),
        ("Progress", f"{job['progress']}%"),
        ("Message", job["message"]),
        ("Started", utc(job["started_at"])),
        ("Finished", utc(job["finished_at"])),
        ("Log", f"{len(job['log'])} line(s)"),
    ]


def utc(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
