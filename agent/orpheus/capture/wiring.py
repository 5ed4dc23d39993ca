"""Builds the capture feature from the agent's settings: captures kept in RAM under
run_dir/captures within the quota, tcpdump run as a transient systemd unit (or as the agent's
child where the agent is not under systemd: capture_runner = "agent")."""

from __future__ import annotations

from orpheus.audit.log import AuditSink
from orpheus.capture.feature import CaptureFeature
from orpheus.capture.runners import ChildRunner, Runner, SystemdRunner
from orpheus.capture.store import CaptureStore
from orpheus.config import AgentConfig
from orpheus.dbus.systemd import Systemd
from orpheus.jobs.registry import JobRegistry

CAPTURE_DIR = "captures"
RUNNERS = ("systemd", "agent")


def capture_feature(
    config: AgentConfig, systemd: Systemd, jobs: JobRegistry, audit: AuditSink
) -> CaptureFeature:
    if config.capture_runner not in RUNNERS:
        raise ValueError(f"capture_runner must be one of {', '.join(RUNNERS)}")
    runner: Runner = SystemdRunner(systemd) if config.capture_runner == "systemd" else ChildRunner()
    store = CaptureStore(config.run_dir / CAPTURE_DIR, config.capture_quota_mb)
    return CaptureFeature(store, runner, config.capture_command, jobs, audit)
