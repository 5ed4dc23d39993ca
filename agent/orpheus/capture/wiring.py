"""Builds the capture feature from the agent's settings: captures kept in RAM under
run_dir/captures within the quota, tcpdump run as a transient systemd unit (or as the agent's
child where the agent is not under systemd: capture_runner = "agent"), and Asterisk's
decrypted SIP taken over HEP on 127.0.0.1:capture_hep_port while a capture runs."""

from __future__ import annotations

from orpheus.asterisk.adapter import Asterisk
from orpheus.audit.log import AuditSink
from orpheus.capture.feature import CaptureFeature
from orpheus.capture.hep_asterisk import HepSwitch, HepTap
from orpheus.capture.hep_receiver import HepReceiver
from orpheus.capture.runners import ChildRunner, Runner, SystemdRunner
from orpheus.capture.store import CaptureStore
from orpheus.config import AgentConfig
from orpheus.dbus.systemd import Systemd
from orpheus.jobs.registry import JobRegistry

CAPTURE_DIR = "captures"
RUNNERS = ("systemd", "agent")


def capture_feature(
    config: AgentConfig, systemd: Systemd, jobs: JobRegistry, audit: AuditSink, asterisk: Asterisk
) -> CaptureFeature:
    if config.capture_runner not in RUNNERS:
        raise ValueError(f"capture_runner must be one of {', '.join(RUNNERS)}")
    runner: Runner = SystemdRunner(systemd) if config.capture_runner == "systemd" else ChildRunner()
    store = CaptureStore(config.run_dir / CAPTURE_DIR, config.capture_quota_mb)
    hep = None
    if config.capture_hep_port:
        port = config.capture_hep_port
        switch = HepSwitch(config.asterisk_config_dir, asterisk, port)
        hep = HepTap(HepReceiver(port=port), switch)
    return CaptureFeature(store, runner, config.capture_command, jobs, audit, hep)
