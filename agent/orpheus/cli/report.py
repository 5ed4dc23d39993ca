"""orpheusctl report [-o FILE]: the system report (tar + zstd) for support."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from orpheus.cli.client import AgentClient, download
from orpheus.cli.output import human_bytes, written_whole


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("report", help="the system report for support (secrets redacted)")
    parser.add_argument(
        "-o", "--output", type=Path, help="the file to write (default: orpheus-report-TIME.tar.zst)"
    )
    parser.set_defaults(func=write_report)


def write_report(args: argparse.Namespace, client: AgentClient) -> int:
    output: Path = args.output or Path(
        time.strftime("orpheus-report-%Y%m%dT%H%M%SZ.tar.zst", time.gmtime())
    )
    with written_whole(output) as out:
        written = download(client, "/api/v1/report", {}, out)
    print(f"{output}: {human_bytes(written)}", file=sys.stderr)
    return 0
