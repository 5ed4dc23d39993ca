"""The firewall's state: the lists applied, the confirmed ones, a change waiting for its
confirmation, and the block set.

A change is applied at once and rolled back to the confirmed lists unless confirmed within
its window; only confirmed lists are saved, so an agent that restarts (or stops) within the
window comes back with the confirmed ones as well. A change that would cut the admin off
the admin service from the address the request came from is refused unless forced.

The lists' aliases (local, peer) are resolved at each apply and at each refresh (after an
address change, and every REFRESH_SECONDS); when
what they stand for changed (an address came or went, the unit was paired), the lists
applied are applied again."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus.files import write_file
from orpheus.firewall import ruleset
from orpheus.firewall.attackers import AttackerTracker
from orpheus.firewall.lists import AccessLists, Whereabouts, parse_lists
from orpheus.firewall.local import REFRESH_SECONDS
from orpheus.firewall.networks import Address, BadNetwork
from orpheus.firewall.nft import Netfilter, NftUnavailable
from orpheus.firewall.services import ADMIN, Service

log = logging.getLogger(__name__)

DEFAULT_CONFIRM_SECONDS = 60


class Refused(Exception):
    """A change refused (lock-out, nothing pending, a change already pending); one line."""


@dataclass
class Pending:
    lists: AccessLists
    deadline: float  # time.monotonic()
    timer: threading.Timer


@dataclass(frozen=True)
class BlockCounts:
    """For SNMP: the addresses in the block sets now (None: nftables unreadable) and the
    blocks made since the agent started."""

    blocked: int | None
    blocks_made: int


class Firewall:
    def __init__(
        self,
        netfilter: Callable[[], Netfilter],
        services: Mapping[str, Service],
        state_file: Path,
        tracker: AttackerTracker,
        on_rollback: Callable[[AccessLists, AccessLists], None] = lambda new, old: None,
        whereabouts: Callable[[], Whereabouts] = Whereabouts,
    ) -> None:
        self._make_netfilter = netfilter
        self._netfilter: Netfilter | None = None
        self.services = services
        self._state_file = state_file
        self.tracker = tracker
        self.on_rollback = on_rollback
        self._whereabouts = whereabouts
        self.here = Whereabouts()
        self._lock = threading.RLock()
        self.confirmed = parse_lists({}, services)
        self.applied: AccessLists | None = None
        self.resolved = self.confirmed.resolved(self.here)  # what nftables has (once applied)
        self.pending: Pending | None = None
        self.error: str | None = None
        self.on_applied: list[Callable[[AccessLists], None]] = []  # given the resolved lists
        self._stopping = threading.Event()
        self._refresher: threading.Thread | None = None

    # -- start and stop ----------------------------------------------------------------------
    def start(self) -> None:
        """Applies the saved, confirmed lists (all open when there are none)."""
        with self._lock:
            try:
                self.confirmed = self._load()
                self._apply(self.confirmed)
            except (NftUnavailable, BadNetwork, OSError, ValueError) as error:
                self.error = str(error)
                log.error("firewall not applied: %s", error)
        self._stopping.clear()
        self._refresher = threading.Thread(target=self._refresh_loop, name="firewall-refresh",
                                           daemon=True)  # fmt: skip
        self._refresher.start()

    def stop(self) -> None:
        """A change nobody can confirm any more goes back now (the table stays: it holds the
        blocks while the agent is away)."""
        self._stopping.set()
        if self._refresher is not None:
            self._refresher.join()
        with self._lock:
            if self.pending is not None:
                self._rollback()

    def _refresh_loop(self) -> None:
        while not self._stopping.wait(REFRESH_SECONDS):
            self.refresh()

    def refresh(self) -> bool:
        """Applies the lists again if their aliases stand for something else now."""
        with self._lock:
            if self.applied is None or self._whereabouts() == self.here:
                return False
            try:
                self._apply(self.applied)
            except NftUnavailable as error:
                self.error = str(error)
                log.error("firewall not applied again for new addresses: %s", error)
                return False
            log.info("firewall applied again: local is now %s",
                     ", ".join(str(n) for n in self.here.local))  # fmt: skip
            return True

    # -- the access lists --------------------------------------------------------------------
    def propose(
        self, document: Mapping[str, Any], source: Address | None, force: bool, seconds: int
    ) -> AccessLists:
        """Applies new lists with a confirmation window; raises Refused, BadNetwork or
        NftUnavailable with nothing changed."""
        lists = parse_lists(document, self.services)
        with self._lock:
            if self.pending is not None:
                raise Refused("a change is waiting for its confirmation: confirm it first")
            resolved = lists.resolved(self._whereabouts())
            if source is not None and not force and not resolved.admits(ADMIN, source):
                raise Refused(
                    f"refused: it would lock you out ({source} is not in the admin list); "
                    "add your network or force it"
                )
            self._apply(lists)
            timer = threading.Timer(seconds, self._expire)
            timer.daemon = True
            self.pending = Pending(lists, time.monotonic() + seconds, timer)
            timer.start()
            return lists

    def confirm(self) -> AccessLists:
        with self._lock:
            if self.pending is None:
                raise Refused("no change is waiting for confirmation")
            self.pending.timer.cancel()
            lists = self.pending.lists
            self._save(lists)
            self.confirmed, self.pending = lists, None
            return lists

    def _expire(self) -> None:
        with self._lock:
            if self.pending is not None and time.monotonic() >= self.pending.deadline - 0.5:
                self._rollback()

    def _rollback(self) -> None:
        assert self.pending is not None
        self.pending.timer.cancel()
        new = self.pending.lists
        try:
            self._apply(self.confirmed)
        except NftUnavailable as error:
            self.error = str(error)
            log.error("firewall rollback failed: %s", error)
            return
        finally:
            self.pending = None  # after the rules: who sees no change pending sees them back
        log.warning("firewall change not confirmed: the confirmed lists are back")
        self.on_rollback(new, self.confirmed)

    def _apply(self, lists: AccessLists) -> None:
        here = self._whereabouts()
        resolved = lists.resolved(here)
        self.netfilter().run(ruleset.render(resolved, self.services))
        self.applied, self.resolved, self.here, self.error = lists, resolved, here, None
        for listener in self.on_applied:
            listener(resolved)

    def netfilter(self) -> Netfilter:
        if self._netfilter is None:
            self._netfilter = self._make_netfilter()
        return self._netfilter

    # -- the block set -----------------------------------------------------------------------
    def failure(self, address: Address) -> int | None:
        """Counts a failed SIP authentication; blocks the address on its Nth (the seconds)."""
        with self._lock:
            resolved = self.resolved
        if resolved.never_blocked(address):
            return None
        seconds = self.tracker.failure(address)
        if seconds is not None:
            self.netfilter().run(ruleset.block(address, seconds))
        return seconds

    def blocked(self) -> list[tuple[Address, int | None]]:
        found: list[tuple[Address, int | None]] = []
        for version in ruleset.BLOCK_SETS:
            found += ruleset.blocked_entries(self.netfilter().run(ruleset.list_block_set(version)))
        return found

    def counts(self) -> BlockCounts:
        try:
            blocked: int | None = len(self.blocked())
        except NftUnavailable as error:
            log.warning("block sets unreadable: %s", error)
            blocked = None
        return BlockCounts(blocked, self.tracker.blocks_made)

    def unblock(self, address: Address) -> bool:
        """False when address was not blocked."""
        if all(entry != address for entry, _ in self.blocked()):
            return False
        self.netfilter().run(ruleset.unblock(address))
        self.tracker.forgive(address)
        return True

    # -- the saved lists ---------------------------------------------------------------------
    def _load(self) -> AccessLists:
        if not self._state_file.exists():
            return parse_lists({}, self.services)
        return parse_lists(json.loads(self._state_file.read_text()), self.services)

    def _save(self, lists: AccessLists) -> None:
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        write_file(self._state_file, json.dumps(lists.as_json(), indent=1) + "\n", mode=0o600)
