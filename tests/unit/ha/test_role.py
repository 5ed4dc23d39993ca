"""Role policy: may this node be Master, what keepalived's state changes mean."""

from __future__ import annotations

import time

from orpheus.ha import keepalived
from orpheus.ha.generation import SyncedConfig
from orpheus.ha.role import (
    BEHIND_GRACE_SECONDS,
    YIELD_MAX_SECONDS,
    RolePolicy,
    release_reason,
    takeover_reason,
)
from orpheus.ha.state import HaState

from .conftest import FakeTelephony, peer_answers


def _policy(
    state: HaState, synced: SyncedConfig, healthy: tuple[bool, str] = (True, "ok")
) -> tuple[RolePolicy, FakeTelephony]:
    telephony = FakeTelephony()
    return RolePolicy(state, synced, lambda: healthy, telephony), telephony  # type: ignore[arg-type]


def _synced_at(synced: SyncedConfig, generation: int, changed_at: float = 100.0) -> None:
    synced.record.generation, synced.record.changed_at = generation, changed_at


def test_takeover_reasons() -> None:
    assert takeover_reason("BACKUP", None, None, 0.1) == "peer stopped answering"
    # 3 adverts of 0.1 s, or 1.5 poll periods (0.3 s): seen 0.5 s ago is gone.
    assert takeover_reason("BACKUP", 0.5, "slave", 0.1) == "peer stopped answering"
    assert takeover_reason("BACKUP", 0.5, "slave", 1.0) == "took over from the peer"
    assert takeover_reason("BACKUP", 0.1, "fault", 0.1) == "peer failed its health check"
    assert takeover_reason("INIT", 0.1, "slave", 0.1) == "started as the preferred Master"


def test_release_reasons() -> None:
    assert release_reason(True, "BACKUP").startswith("split brain healed")
    assert release_reason(False, "FAULT") == "this node failed its health check"
    assert release_reason(False, "BACKUP") == "the peer took the VIP"


def test_an_unhealthy_node_may_not_be_master(state: HaState, synced: SyncedConfig) -> None:
    policy, _ = _policy(state, synced, (False, "Asterisk is down"))
    assert policy.may_be_master() == (False, "Asterisk is down")


def test_an_unpaired_node_may_be_master(state: HaState, synced: SyncedConfig) -> None:
    state.settings = None
    assert _policy(state, synced)[0].may_be_master() == (True, "ok")


def test_a_fresh_slave_waits_for_its_first_sync(state: HaState, synced: SyncedConfig) -> None:
    peer_answers(state, 1, 100.0)
    ok, reason = _policy(state, synced)[0].may_be_master()
    assert not ok and "first configuration sync" in reason


def test_isolated_without_peer_and_witness(state: HaState, synced: SyncedConfig) -> None:
    _synced_at(synced, 3)
    policy, _ = _policy(state, synced)
    ok, reason = policy.may_be_master()
    assert not ok and reason.startswith("isolated")
    state.witness_seen_at = time.monotonic()  # the witness answers: the peer is the one gone
    assert policy.may_be_master() == (True, "ok")


def test_a_backup_behind_the_peer_gets_a_grace_period(state: HaState, synced: SyncedConfig) -> None:
    _synced_at(synced, 3)
    peer_answers(state, 4, 200.0)
    state.role = "BACKUP"
    policy, _ = _policy(state, synced)
    assert policy.may_be_master() == (True, "ok")
    assert state.peer.behind_since is not None
    state.peer.behind_since -= BEHIND_GRACE_SECONDS + 0.1
    ok, reason = policy.may_be_master()
    assert not ok and "generation 3 is behind the peer's 4" in reason
    assert state.yielding_since is None  # only a Master yields


def test_a_master_behind_the_peer_yields_at_once(state: HaState, synced: SyncedConfig) -> None:
    _synced_at(synced, 3)
    peer_answers(state, 4, 200.0)
    state.role = "MASTER"
    policy, _ = _policy(state, synced)
    ok, reason = policy.may_be_master()
    assert not ok and "behind the peer's 4" in reason
    assert state.yielding_since is not None
    ok, reason = policy.may_be_master()
    assert not ok and reason.startswith("yielding the VIP")
    state.yielding_since -= YIELD_MAX_SECONDS + 0.1  # bounded: back to the behind reason
    assert not policy.yielding()


def test_catching_up_clears_behind(state: HaState, synced: SyncedConfig) -> None:
    _synced_at(synced, 4, 200.0)
    peer_answers(state, 4, 200.0)
    state.peer.behind_since = time.monotonic() - 60
    policy, _ = _policy(state, synced)
    assert policy.may_be_master() == (True, "ok")
    assert state.peer.behind_since is None


def test_becoming_master_records_why_and_activates(state: HaState, synced: SyncedConfig) -> None:
    policy, telephony = _policy(state, synced)
    policy.on_vrrp_state(keepalived.INSTANCE, "MASTER")
    assert state.role == "MASTER" and state.role_name() == "master"
    assert state.last_failover is not None
    assert state.last_failover.reason == "peer stopped answering"
    assert state.last_failover.role == "master"
    assert telephony.calls == ["activate"]


def test_leaving_master_records_why_and_stands_by(state: HaState, synced: SyncedConfig) -> None:
    policy, telephony = _policy(state, synced)
    state.role = "MASTER"
    policy.on_vrrp_state(keepalived.INSTANCE, "FAULT")
    assert state.last_failover is not None
    assert state.last_failover.reason == "this node failed its health check"
    assert state.last_failover.role == "fault"
    assert telephony.calls == ["standby eth0 10.0.0.100/24"]


def test_leaving_master_while_yielding_says_split_brain(
    state: HaState, synced: SyncedConfig
) -> None:
    policy, _ = _policy(state, synced)
    state.role, state.yielding_since = "MASTER", time.monotonic()
    policy.on_vrrp_state(keepalived.INSTANCE, "BACKUP")
    assert state.last_failover is not None
    assert state.last_failover.reason.startswith("split brain healed")
    assert state.last_failover.role == "slave"
    assert state.yielding_since is None


def test_init_to_backup_is_no_failover_and_other_instances_are_ignored(
    state: HaState, synced: SyncedConfig
) -> None:
    policy, telephony = _policy(state, synced)
    policy.on_vrrp_state("another_instance", "MASTER")
    assert state.role == "INIT" and telephony.calls == []
    policy.on_vrrp_state(keepalived.INSTANCE, "BACKUP")
    assert state.last_failover is None
    assert telephony.calls == ["standby eth0 10.0.0.100/24"]


def test_the_slave_refuses_changes_and_names_the_master(
    state: HaState, synced: SyncedConfig
) -> None:
    policy, _ = _policy(state, synced)
    state.role = "BACKUP"
    refusal = policy.write_refusal("/api/v1/pbx/extensions")
    assert refusal is not None and "(10.0.0.2)" in refusal
    assert [event.kind for event in synced.record.events] == ["refused"]
    assert policy.write_refusal("/api/v1/ha/pair") is None
    assert policy.write_refusal("/api/v1/admin/password") is None
    # each unit's own address and console (its installer is not sent to the Master)
    for path in ("/api/v1/network", "/api/v1/console/admin-password", "/api/v1/console/reboot",
                 "/api/v1/factory/reopen"):  # fmt: skip
        assert policy.write_refusal(path) is None, path
    state.role = "MASTER"
    assert policy.write_refusal("/api/v1/pbx/extensions") is None
    state.settings = None
    state.role = "UNPAIRED"
    assert policy.write_refusal("/api/v1/pbx/extensions") is None


def test_a_slave_refuses_the_pairs_configuration_but_not_what_is_its_own() -> None:
    from orpheus.ha.role import PER_UNIT

    for path in ("/api/v1/update", "/api/v1/update/rollback", "/api/v1/license",
                 "/api/v1/admin/password", "/api/v1/ha", "/api/v1/tls", "/api/v1/time",
                 "/api/v1/time/zones", "/api/v1/setup"):  # fmt: skip
        assert path.startswith(PER_UNIT)
    for path in ("/api/v1/pbx/extension", "/api/v1/snmp", "/api/v1/identity", "/api/v1/calls",
                 "/api/v1/ami/users"):  # fmt: skip
        assert not path.startswith(PER_UNIT)
