"""The third-party AMI accounts, secrets included, in /data/orpheus/ami-users.json (0600,
root's, in the root-only state directory): Asterisk reads secrets only as text in
manager.conf, so they are kept as text to render it again."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from orpheus.ami_users.accounts import AmiAccount, from_stored

STORE_FILE = "ami-users.json"
MODE = 0o600


def load(path: Path) -> list[AmiAccount]:
    if not path.exists():
        return []
    return [from_stored(values) for values in json.loads(path.read_text())["users"]]


def text(accounts: Sequence[AmiAccount]) -> str:
    return json.dumps({"users": [a.stored() for a in accounts]}, indent=2, sort_keys=True) + "\n"
