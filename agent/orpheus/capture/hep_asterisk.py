"""Asterisk's HEP output, switched on only while a capture runs: hep.conf (rendered by the
agent, sending to its receiver on 127.0.0.1) and res_hep + res_hep_pjsip loaded at the first
running capture; at the last one's end hep.conf says enabled=no, res_hep is reloaded and
res_hep_pjsip unloaded.

Why not always on to 127.0.0.1: every SIP message would then be copied, encoded and sent
even with no capture running (CPU on the Mini for nothing), and decrypted signalling would
go to a loopback port that, with the agent stopped, any local process could bind. Off by
default also matches the factory modules.conf, which does not load the HEP modules at boot.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.capture.filters import CaptureFilter
from orpheus.capture.hep import Counters
from orpheus.capture.hep_receiver import ADDRESS, HepReceiver
from orpheus.files import DiskFull, write_file

log = logging.getLogger(__name__)

HEP_CONF = "hep.conf"
RES_HEP, RES_HEP_PJSIP = "res_hep.so", "res_hep_pjsip.so"
CAPTURE_ID = 2001  # names this unit in the HEP chunks (one sender: any fixed value)


def render_hep(enabled: bool, port: int) -> str:
    return (
        "; Rendered by the Orpheus agent (capture/hep_asterisk.py): edits here are lost.\n"
        "[general]\n"
        f"enabled={'yes' if enabled else 'no'}\n"
        f"capture_address={ADDRESS}:{port}\n"
        f"capture_id={CAPTURE_ID}\n"
        "uuid_type=call-id\n"
    )


def module_running(shown: str, module: str) -> bool:
    """From `module show like`: the module's line says Running (not Not Running)."""
    for line in shown.splitlines():
        words = line.split()
        if words and words[0] == module:
            return "Running" in words and "Not" not in words
    return False


class HepSwitch:
    def __init__(self, asterisk_dir: Path, asterisk: Asterisk, port: int) -> None:
        self._path = asterisk_dir / HEP_CONF
        self._asterisk = asterisk
        self._port = port

    def enable(self) -> str:
        """Asterisk sends HEP from now on; "" when it does, else why not (one line): the
        capture then goes on with tcpdump's packets only."""
        try:
            self._write(enabled=True)
            # load is a no-op if res_hep runs already; reload then reads enabled=yes.
            self._asterisk.load_module(RES_HEP)
            self._asterisk.reload_module(RES_HEP)
            self._asterisk.load_module(RES_HEP_PJSIP)
            shown = self._asterisk.cli(f"module show like {RES_HEP_PJSIP}")
        except (AsteriskUnavailable, OSError, DiskFull) as error:
            return f"no decrypted SIP from Asterisk: {error}"
        if not module_running(shown, RES_HEP_PJSIP):
            return f"no decrypted SIP from Asterisk: {RES_HEP_PJSIP} did not load"
        return ""

    def disable(self) -> None:
        try:
            self._write(enabled=False)
            self._asterisk.unload_module(RES_HEP_PJSIP)
            self._asterisk.reload_module(RES_HEP)
        except (AsteriskUnavailable, OSError, DiskFull) as error:
            log.warning("could not switch Asterisk's HEP output off: %s", error)

    def left_on(self) -> bool:
        """hep.conf says enabled=yes: an earlier agent ended during a capture."""
        try:
            return "enabled=yes" in self._path.read_text().splitlines()
        except OSError:
            return False

    def _write(self, *, enabled: bool) -> None:
        """Asterisk reads its files as its own user: 0640, owned like the directory."""
        owner = self._path.parent.stat()
        text = render_hep(enabled, self._port)
        write_file(self._path, text, mode=0o640, owner=owner.st_uid, group=owner.st_gid)


class HepTap:
    """The receiver and Asterisk's switch together, as the capture feature uses them: the
    first capture attached switches HEP on, the last one detached switches it off."""

    def __init__(self, receiver: HepReceiver, switch: HepSwitch) -> None:
        self._receiver = receiver
        self._switch = switch
        self._lock = threading.Lock()
        self._attached: dict[str, Counters] = {}
        self._listening = False

    def start(self) -> None:
        if self._switch.left_on():  # its capture was marked interrupted: nobody listens
            self._switch.disable()
        try:
            self._receiver.start()
            self._listening = True
        except OSError as error:  # the port taken: captures go on without decrypted SIP
            log.error("no HEP receiver on port %s: %s", self._receiver.port, error)

    def stop(self) -> None:
        with self._lock:
            was_on = bool(self._attached)
            self._attached.clear()
        if was_on:
            self._switch.disable()
        if self._listening:
            self._receiver.stop()

    def attach(
        self, capture_id: str, directory: Path, limit: int, capture_filter: CaptureFilter
    ) -> Counters | str:
        """capture_id takes Asterisk's decrypted SIP from now on: its counters, or why it
        cannot (one line; the capture goes on with tcpdump's packets only)."""
        if not self._listening:
            return "no decrypted SIP from Asterisk: the HEP receiver is not listening"
        with self._lock:
            first = not self._attached
            counters = self._receiver.attach(capture_id, directory, limit, capture_filter)
            self._attached[capture_id] = counters
            # Under the lock: a capture ending meanwhile cannot switch HEP off after this.
            problem = self._switch.enable() if first else ""
        return problem or counters

    def detach(self, capture_id: str) -> Counters | None:
        """What capture_id's HEP file took (None if it had none)."""
        with self._lock:
            counters = self._attached.pop(capture_id, None)
            last = counters is not None and not self._attached
            self._receiver.detach(capture_id)
            if last:
                self._switch.disable()
        return counters
