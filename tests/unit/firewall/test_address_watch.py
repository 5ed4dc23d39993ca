"""The address watch with stand-in programs for `ip -o monitor address` (a real monitor needs
an address change of the machine; tests/firewall makes one in a namespace)."""

from __future__ import annotations

import pytest

from orpheus.firewall import address_watch
from orpheus.firewall.address_watch import AddressWatch
from testbed.polling import wait_for


def test_each_line_is_one_refresh_and_the_end_is_survived(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def refresh() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("one failed refresh")  # logged; the watch reads on

    monkeypatch.setattr(address_watch, "COMMAND", ("printf", "a\\nb\\nc\\n"))
    watch = AddressWatch(refresh)
    watch.start()
    wait_for("three refreshes", lambda: len(calls) == 3, timeout=10, interval=0.02)
    watch.stop()
    assert len(calls) == 3


def test_a_monitor_that_cannot_start_leaves_the_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(address_watch, "COMMAND", ("/nonexistent/ip", "monitor"))
    watch = AddressWatch(lambda: None)
    watch.start()  # logged, nothing raised
    watch.stop()


def test_stop_ends_a_running_monitor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(address_watch, "COMMAND", ("sleep", "600"))
    watch = AddressWatch(lambda: None)
    watch.start()
    child = watch._child
    assert child is not None and child.poll() is None
    watch.stop()
    assert child.poll() is not None
