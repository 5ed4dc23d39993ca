"""`make bench`: runs each area's benchmark (bench/<area>.py, `run(board) -> dict`).

Results go to bench/results.json (machine-readable, one key per area, with the date and the
machine) and bench/results.md (the same as tables). An area run alone (`--only snmp`)
replaces its own key and keeps the others.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_JSON = BENCH_DIR / "results.json"
RESULTS_MD = BENCH_DIR / "results.md"


def areas() -> list[str]:
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("__"))


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def to_markdown(results: dict[str, object]) -> str:
    lines = ["# Orpheus benchmark results", "", "Written by `make bench` (bench/__main__.py).", ""]
    for area, figures in results.items():
        lines += [f"## {area}", "", "| figure | value |", "|---|---|"]
        if isinstance(figures, dict):
            lines += [f"| {key} | {value} |" for key, value in figures.items()]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--board", default=os.environ.get("BOARD", "mini"))
    parser.add_argument("--only", action="append", choices=areas(), help="run only these areas")
    args = parser.parse_args(argv)
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    for area in args.only or areas():
        print(f"bench: {area}", file=sys.stderr)
        module = importlib.import_module(f"bench.{area}")
        results[area] = {"machine": machine(), **module.run(args.board)}
        RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n")
        RESULTS_MD.write_text(to_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
