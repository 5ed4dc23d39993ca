"""Asterisk's HEP output is on only while a capture runs: the first capture attached writes
hep.conf (to the receiver on 127.0.0.1) and loads res_hep_pjsip, the last one detached
writes enabled=no and unloads it; an Asterisk that does not answer leaves the capture
running on tcpdump's packets, with the reason."""

from __future__ import annotations

from pathlib import Path

from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.capture.filters import CaptureFilter
from orpheus.capture.hep import Counters
from orpheus.capture.hep_asterisk import HEP_CONF, HepSwitch, HepTap
from orpheus.capture.hep_receiver import HepReceiver

SIP = CaptureFilter("sip")


class FakeAsterisk(Asterisk):
    def __init__(self, answers: bool = True) -> None:
        super().__init__(["/bin/false"])
        self.commands: list[str] = []
        self.answers = answers
        self.pjsip_loaded = False

    def cli(self, command: str) -> str:
        if not self.answers:
            raise AsteriskUnavailable("Asterisk is not running")
        self.commands.append(command)
        if command == "module load res_hep_pjsip.so":
            self.pjsip_loaded = True
        if command == "module unload res_hep_pjsip.so":
            self.pjsip_loaded = False
        if command.startswith("module show like"):
            status = "Running" if self.pjsip_loaded else "Not Running"
            head = "Module  Description  Use Count  Status  Support Level\n"
            return head + f"{command[17:]}  x  0  {status}  extended\n"
        return ""


def _tap(tmp_path: Path, asterisk: Asterisk) -> HepTap:
    (tmp_path / "etc").mkdir()
    tap = HepTap(HepReceiver(port=0), HepSwitch(tmp_path / "etc", asterisk, 9064))
    tap.start()
    return tap


def test_hep_is_on_from_the_first_capture_to_the_end_of_the_last(tmp_path: Path) -> None:
    asterisk = FakeAsterisk()
    tap = _tap(tmp_path, asterisk)
    try:
        assert isinstance(tap.attach("a", tmp_path, 1000, SIP), Counters)
        conf = (tmp_path / "etc" / HEP_CONF).read_text()
        assert "enabled=yes" in conf and "capture_address=127.0.0.1:9064" in conf
        assert asterisk.pjsip_loaded
        assert isinstance(tap.attach("b", tmp_path, 1000, SIP), Counters)
        tap.detach("a")
        assert asterisk.pjsip_loaded  # b still runs
        tap.detach("b")
        assert not asterisk.pjsip_loaded
        assert "enabled=no" in (tmp_path / "etc" / HEP_CONF).read_text()
        assert asterisk.commands[-1] == "module reload res_hep.so"
    finally:
        tap.stop()


def test_an_asterisk_that_does_not_answer_gives_the_reason_and_no_crash(tmp_path: Path) -> None:
    tap = _tap(tmp_path, FakeAsterisk(answers=False))
    try:
        attached = tap.attach("a", tmp_path, 1000, SIP)
        assert isinstance(attached, str) and "Asterisk is not running" in attached
        assert tap.detach("a") is not None  # switched off (best effort) all the same
    finally:
        tap.stop()


def test_a_module_that_does_not_load_is_said(tmp_path: Path) -> None:
    class NoPjsipHep(FakeAsterisk):
        def cli(self, command: str) -> str:
            answer = super().cli(command)
            self.pjsip_loaded = False
            return answer

    tap = _tap(tmp_path, NoPjsipHep())
    try:
        attached = tap.attach("a", tmp_path, 1000, SIP)
        assert attached == "no decrypted SIP from Asterisk: res_hep_pjsip.so did not load"
    finally:
        tap.stop()


def test_without_its_port_the_receiver_says_so_and_captures_go_on(tmp_path: Path) -> None:
    first = HepReceiver(port=0)
    first.start()
    try:
        (tmp_path / "etc").mkdir()
        taken = HepTap(HepReceiver(port=first.port), HepSwitch(tmp_path / "etc", FakeAsterisk(), 1))
        taken.start()  # the port is the first receiver's: logged, not raised
        attached = taken.attach("a", tmp_path, 1000, SIP)
        assert isinstance(attached, str) and "not listening" in attached
        taken.stop()
    finally:
        first.stop()


def test_hep_left_on_by_an_earlier_agent_is_switched_off_at_start(tmp_path: Path) -> None:
    asterisk = FakeAsterisk()
    asterisk.pjsip_loaded = True
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / HEP_CONF).write_text("[general]\nenabled=yes\n")
    tap = HepTap(HepReceiver(port=0), HepSwitch(tmp_path / "etc", asterisk, 9064))
    tap.start()
    tap.stop()
    assert not asterisk.pjsip_loaded
    assert "enabled=no" in (tmp_path / "etc" / HEP_CONF).read_text()
