"""Changes to the PBX configuration: check against the licence, apply to Asterisk, store, audit.

Every change runs in one order under one lock: normalise the record, check the licence's
limits on the configuration it would make, render and apply it to Asterisk (which may still
reject it), and only then store it with its audit entry. A refused change leaves the store,
the files and the running Asterisk as they were.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orpheus.audit.log import AuditEntry
from orpheus.config_text import UnsafeValue
from orpheus.licensing.active import Entitlement, Licensing
from orpheus.licensing.status import Usage
from orpheus.pbx import policy
from orpheus.pbx.apply import ApplyResult, AsteriskApplier, Expected, ReloadRejected
from orpheus.pbx.call_classes import class_of, classes, with_extension_classes
from orpheus.pbx.records import Kind, Record, RecordError, kind_of, normalise, redact
from orpheus.pbx.render import CallLimit, render_all, trunk_endpoint
from orpheus.pbx.sip_security import SipTls, remove_stale_pairs
from orpheus.pbx.store import Config, PbxStore

log = logging.getLogger(__name__)


class ChangeRefused(ValueError):
    """A change the licence or Asterisk does not allow; one line for the user."""


class NotFound(KeyError):
    pass


@dataclass(frozen=True)
class ChangeResult:
    record: Record | None
    apply: ApplyResult


def no_tls() -> SipTls | None:
    return None


class PbxConfigurator:
    def __init__(
        self,
        store: PbxStore,
        applier: AsteriskApplier,
        licensing: Licensing,
        tls: Callable[[], SipTls | None] = no_tls,
    ) -> None:
        """tls: the unit's certificate and key now, read at each render (an admin may have
        replaced them); None: no TLS transport."""
        self._tls = tls
        self._store = store
        self._applier = applier
        self._licensing = licensing
        self._lock = threading.Lock()
        self._config: Config = with_extension_classes(store.load())
        self._serial = time.time_ns() // 1_000_000

    @property
    def asterisk_dir(self) -> Path:
        return self._applier.asterisk_dir

    # -- reading -----------------------------------------------------------------------------
    def records(self, kind_name: str) -> list[Record]:
        kind = kind_of(kind_name)
        return [redact(kind, r) or {} for r in self._config.get(kind.name, {}).values()]

    def records_with_secrets(self, kind_name: str) -> list[Record]:
        """For the agent's own checks (weak SIP passwords), never for an answer."""
        kind = kind_of(kind_name)
        return [dict(r) for r in self._config.get(kind.name, {}).values()]

    def record(self, kind_name: str, key: str) -> Record:
        kind = kind_of(kind_name)
        found = self._config.get(kind.name, {}).get(key)
        if found is None:
            raise NotFound(f"no {kind.name} {key!r}")
        return redact(kind, found) or {}

    def rendered(self) -> Config:
        """The configuration Asterisk runs: the stored one clipped to the licence."""
        return policy.clip(self._config, self._licensing.entitlement)

    def usage(self) -> Usage:
        """What the configuration uses of the licence, and the calls its limit counts now."""
        figures = policy.usage(self._config)
        return Usage(
            concurrent_calls=self._applier.counted_calls(),
            extensions=figures.extensions,
            trunks=figures.trunks,
            ivr_levels=figures.ivr_levels,
            queues=figures.queues,
            call_recording=figures.call_recording,
            balancer=figures.balancer,
            remote_extensions=figures.remote_extensions,
            callcenter=figures.callcenter,
        )

    # -- changing ----------------------------------------------------------------------------
    def create(self, kind_name: str, values: Record, user: str) -> ChangeResult:
        kind = kind_of(kind_name)
        record = normalise(kind, values)
        key = self._key(kind, record)
        if key in self._config.get(kind.name, {}):
            raise ChangeRefused(f"{kind.name} {key!r} already exists")
        return self._change(kind, key, record, user, "create")

    def update(self, kind_name: str, key: str, values: Record, user: str) -> ChangeResult:
        kind = kind_of(kind_name)
        current = self._config.get(kind.name, {}).get(key)
        if current is None and not kind.singleton:
            raise NotFound(f"no {kind.name} {key!r}")
        record = normalise(kind, {**(current or {}), **values})
        if self._key(kind, record) != key:
            raise ChangeRefused(f"the {kind.key} of a {kind.name} cannot change")
        return self._change(kind, key, record, user, "update")

    def delete(self, kind_name: str, key: str, user: str) -> ChangeResult:
        kind = kind_of(kind_name)
        if key not in self._config.get(kind.name, {}):
            raise NotFound(f"no {kind.name} {key!r}")
        return self._change(kind, key, None, user, "delete")

    def create_many(self, kind_name: str, values: list[Record], user: str) -> ApplyResult:
        """Creates many records with one check, one apply and one audit entry (imports)."""
        kind = kind_of(kind_name)
        records = [normalise(kind, v) for v in values]
        with self._lock:
            proposed = copy.deepcopy(self._config)
            table = proposed.setdefault(kind.name, {})
            for record in records:
                key = self._key(kind, record)
                if key in table:
                    raise ChangeRefused(f"{kind.name} {key!r} already exists")
                table[key] = record
            self._check(proposed)
            entry = AuditEntry(
                f"{kind.name}.import",
                f"{len(records)} {kind.name}(s)",
                user,
                None,
                [redact(kind, r) for r in records],
            )
            with self._applying(proposed, self._licensing.entitlement) as result:
                changes = [(kind.name, self._key(kind, r), r) for r in records]
                self._store.commit_many(changes, entry)
            self._config = proposed
        return result

    def reapply(self, entitlement: Entitlement | None = None) -> ApplyResult:
        """Renders the stored configuration again (start-up, a new licence). A stored value
        the renderers refuse (written by an older firmware) leaves Asterisk's files as they are."""
        entitlement = entitlement or self._licensing.entitlement
        try:
            with self._lock, self._applying(self._config, entitlement) as result:
                return result
        except RecordError as error:
            log.error("stored PBX configuration not rendered: %s", error)
            return ApplyResult(False, (), f"not rendered: {error}")

    def adopt_synced(self, asterisk_files: Sequence[str]) -> ApplyResult:
        """The store and Asterisk's files were replaced by an HA peer's: reread the store and
        reload what reads the files (names relative to Asterisk's configuration directory)."""
        with self._lock:
            self._config = with_extension_classes(self._store.load())
            return self._applier.reload_files(asterisk_files)

    # -- internals ---------------------------------------------------------------------------
    @staticmethod
    def _key(kind: Kind, record: Record) -> str:
        return kind.name if kind.singleton else str(record[kind.key])

    def _check(self, proposed: Config) -> None:
        try:
            before, after = policy.usage(self._config), policy.usage(proposed)
        except RecordError as error:
            raise ChangeRefused(str(error)) from error
        reason = policy.refusal(before, after, self._licensing.entitlement)
        if reason:
            raise ChangeRefused(reason)
        self._check_references(proposed)

    @staticmethod
    def _check_references(config: Config) -> None:
        trunks = config.get("trunk", {})
        for balancer in config.get("balancer", {}).values():
            unknown = [t for t in balancer["trunks"] if t not in trunks]
            if unknown:
                raise ChangeRefused(f"balancer {balancer['name']!r}: no trunk {unknown[0]!r}")
        known = classes(config)
        for number, extension in config.get("extension", {}).items():
            if class_of(extension) not in known:
                raise ChangeRefused(
                    f"extension {number}: no call class {class_of(extension)!r} "
                    f"(known: {', '.join(sorted(known))})"
                )
        numbers = [e for e in config.get("extension", {})]
        numbers += [q["number"] for q in config.get("queue", {}).values()]
        numbers += [m["number"] for m in config.get("ivr", {}).values() if m["number"]]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise ChangeRefused(f"number {duplicates[0]} is used twice")

    def _change(
        self, kind: Kind, key: str, record: Record | None, user: str, verb: str
    ) -> ChangeResult:
        with self._lock:
            before = self._config.get(kind.name, {}).get(key)
            proposed = copy.deepcopy(self._config)
            table = proposed.setdefault(kind.name, {})
            if record is None:
                del table[key]
            else:
                table[key] = record
            self._check(proposed)
            entry = AuditEntry(
                f"{kind.name}.{verb}",
                f"{kind.name} {key}",
                user,
                redact(kind, before),
                redact(kind, record),
            )
            # The files stay only if the store takes the change (a full disk: both as before).
            with self._applying(proposed, self._licensing.entitlement) as result:
                self._store.commit(kind.name, key, record, entry)
            self._config = proposed
        return ChangeResult(redact(kind, record), result)

    @contextmanager
    def _applying(self, config: Config, entitlement: Entitlement) -> Iterator[ApplyResult]:
        clipped = policy.clip(config, entitlement)
        limits = entitlement.limits
        limit = CallLimit(limits.concurrent_calls, limits.external_calls_only)
        self._serial += 1
        tls = self._tls()
        try:
            files = render_all(clipped, limit, self._serial, tls)
        except UnsafeValue as error:  # a value the field checks let through: refused here
            raise RecordError(str(error)) from error
        expected = Expected(
            endpoints=frozenset(clipped["extension"])
            | {trunk_endpoint(name) for name in clipped["trunk"]},
            serial=self._serial,
            queues=frozenset(clipped["queue"]),
        )
        try:
            with self._applier.applying(files, expected) as result:
                yield result
        except ReloadRejected as error:  # raised before the yield: the block never ran
            raise ChangeRefused(str(error)) from error
        remove_stale_pairs(self.asterisk_dir, tls)  # the new files stayed: the old ones go
