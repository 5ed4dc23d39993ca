"""The tier table (orpheus.licensing.tiers): limits, boards and the licence that lifts a limit."""

from __future__ import annotations

import pytest

from orpheus.licensing.tiers import (
    ADDONS,
    BOARDS,
    FALLBACK_BOARD,
    SWITCHED_FEATURES,
    TIERS,
    VM_MIN_CHANNELS,
    board_tiers,
    lifting_licence,
)


def test_the_mini_tier_is_the_product_briefs() -> None:
    mini = TIERS["mini"]
    assert (mini.concurrent_calls, mini.extensions, mini.trunks, mini.ivr_levels, mini.queues) == (
        10, 12, 4, 1, 1,
    )  # fmt: skip
    assert not any(mini.allows(feature) for feature in SWITCHED_FEATURES)
    assert mini.accepted_addons == {"cti_free"}


def test_the_tiers_above_mini_are_unlimited_and_differ_in_calls() -> None:
    calls = {name: TIERS[name].concurrent_calls for name in ("lite", "v4r", "v4rplus", "vm")}
    assert calls == {"lite": 25, "v4r": 120, "v4rplus": 120, "vm": VM_MIN_CHANNELS}
    for name in ("lite", "v4r", "v4rplus", "vm"):
        limits = TIERS[name]
        assert (limits.extensions, limits.trunks, limits.ivr_levels, limits.queues) == (
            None, None, None, None,
        )  # fmt: skip
        assert all(limits.allows(feature) for feature in SWITCHED_FEATURES)
        assert limits.accepted_addons <= set(ADDONS)
    assert TIERS["vm"].external_calls_only and not TIERS["lite"].external_calls_only
    assert [TIERS[n].title for n in TIERS] == ["Mini", "Lite", "V4R", "V4R+", "Virtual machine"]


def test_channels_replace_only_the_call_limit() -> None:
    vm = TIERS["vm"].with_channels(30)
    assert vm.concurrent_calls == 30 and TIERS["vm"].concurrent_calls == VM_MIN_CHANNELS
    assert vm.external_calls_only and vm.title == "Virtual machine"


def test_each_board_runs_its_base_tier_and_only_mini_is_upgradable() -> None:
    for board, tiers in BOARDS.items():
        assert tiers.base == board and tiers.base in tiers.licensable
    assert BOARDS["mini"].licensable == ("mini", "lite")
    assert all(len(BOARDS[b].licensable) == 1 for b in BOARDS if b != "mini")


@pytest.mark.parametrize("board", [None, "", "v5"])
def test_an_unknown_board_falls_back_to_the_most_restrictive(board: str | None) -> None:
    assert FALLBACK_BOARD == "mini"
    assert board_tiers(board) == BOARDS["mini"]


@pytest.mark.parametrize(
    ("board", "feature", "wanted", "cure"),
    [
        ("mini", "extensions", 13, "a Lite licence (the Mini-to-Lite upgrade)"),
        ("mini", "extensions", 12, "a Mini licence"),  # within Mini's own limit
        ("mini", "high_availability", True, "a Lite licence (the Mini-to-Lite upgrade)"),
        ("mini", "callcenter", True, "the Call Center add-on on a Lite licence"),
        ("lite", "callcenter", True, "the Call Center add-on"),
        ("lite", "concurrent_calls", 26, "no licence this board accepts"),
        ("v4r", "concurrent_calls", 100, "a V4R licence"),
        ("vm", "balancer", True, "a Virtual machine licence"),
        (None, "trunks", 5, "a Lite licence (the Mini-to-Lite upgrade)"),
    ],
)
def test_the_licence_that_lifts_a_limit(
    board: str | None, feature: str, wanted: int | bool, cure: str
) -> None:
    assert lifting_licence(board, feature, wanted) == cure
