"""libnftables through Debian's python3-nftables: JSON commands in one transaction each.

Never `nft` command strings and never a shell: the commands are data (ruleset.py), and
libnftables applies a batch all or nothing."""

from __future__ import annotations

import threading
from typing import Any, Protocol

from orpheus.firewall.ruleset import Command


class NftUnavailable(RuntimeError):
    """libnftables is missing or refused a batch; the message is one line."""


class Netfilter(Protocol):
    def run(self, commands: list[Command]) -> dict[str, Any]: ...


class Libnftables:
    def __init__(self) -> None:
        try:
            import nftables  # Debian's python3-nftables: not on PyPI
        except ImportError as error:
            raise NftUnavailable("python3-nftables is not installed") from error
        self._nft = nftables.Nftables()
        self._nft.set_json_output(True)
        self._nft.set_handle_output(False)
        self._lock = threading.Lock()  # one libnftables context: one batch at a time

    def run(self, commands: list[Command]) -> dict[str, Any]:
        with self._lock:
            try:
                code, output, error = self._nft.json_cmd({"nftables": commands})
            except (OSError, ValueError) as failure:  # a library that failed, an answer not JSON
                raise NftUnavailable(f"nftables: {failure}") from failure
        if code != 0:
            first = (str(error).strip().splitlines() or ["error"])[0]
            raise NftUnavailable(f"nftables refused the change: {first[:200]}")
        return output if isinstance(output, dict) else {}
