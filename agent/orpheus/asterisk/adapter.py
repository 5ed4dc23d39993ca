"""The one way the agent talks to Asterisk: its console (CLI) and its manager (AMI).

pbx, update, ha, snmp and the status ask this object; none of them runs `asterisk -rx` or
opens AMI itself. Active calls are counted one way, `active_calls()`: the "active calls" of
`core show channels count`, Asterisk's own count of calls in progress (one per call, whatever
its legs, internal calls included), which is what a reboot must wait for and what SNMP's
orpheusActiveCalls reports. The licence's usage is a different figure, `group_count()` of the
dialplan's limit group (pbx/render.py), which on a VM holds only calls through trunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from orpheus.asterisk import ami, parsers
from orpheus.asterisk.control import AsteriskFacts, AsteriskUnavailable, run_cli
from orpheus.asterisk.parsers import Channel, ChannelCounts, ManagerSession, PjsipState


@dataclass(frozen=True)
class ManagerLogin:
    port: int
    user: str
    secret: str


@dataclass(frozen=True)
class Originate:
    """An AMI Originate: Asterisk calls `channel` and, once it answers, runs the dialplan at
    context/exten/1 on it, as if that phone had dialled exten."""

    channel: str  # e.g. PJSIP/101
    context: str
    exten: str
    caller_id: str  # '"name" <number>', what the ringing phone and the destination see
    channel_id: str  # the unique id of the new channel, so also the call's linked id
    timeout_seconds: int = 30


class Asterisk:
    def __init__(self, cli_command: Sequence[str], manager: ManagerLogin | None = None) -> None:
        self.cli_command = tuple(cli_command)
        self.manager_login = manager

    # -- transports --------------------------------------------------------------------------
    def cli(self, command: str) -> str:
        """One console command's output; raises AsteriskUnavailable when it does not answer."""
        return run_cli(self.cli_command, command)

    def manager(self) -> AbstractContextManager[ami.AmiConnection]:
        """An AMI session with the agent's own user; raises AsteriskUnavailable."""
        login = self.manager_login
        if login is None:
            raise AsteriskUnavailable("no AMI login configured for the agent")
        return ami.connect(login.port, login.user, login.secret)

    def event_session(self, events: str) -> AbstractContextManager[ami.AmiConnection]:
        """An AMI session of the agent's user that receives the event classes named."""
        login = self.manager_login
        if login is None:
            raise AsteriskUnavailable("no AMI login configured for the agent")
        return ami.connect(login.port, login.user, login.secret, events=events)

    # -- what features ask -------------------------------------------------------------------
    def facts(self) -> AsteriskFacts:
        try:
            version = parsers.parse_version(self.cli("core show version"))
        except parsers.UnexpectedAnswer as error:
            raise AsteriskUnavailable(str(error)) from error
        uptime = parsers.parse_uptime(self.cli("core show uptime seconds"))
        return AsteriskFacts(version=version, uptime_seconds=uptime)

    def uptime_seconds(self) -> int | None:
        return parsers.parse_uptime(self.cli("core show uptime seconds"))

    def channel_counts(self) -> ChannelCounts:
        try:
            return parsers.parse_channel_counts(self.cli("core show channels count"))
        except parsers.UnexpectedAnswer as error:
            raise AsteriskUnavailable(str(error)) from error

    def active_calls(self) -> int:
        """Calls in progress; raises AsteriskUnavailable when Asterisk does not answer."""
        return self.channel_counts().active_calls

    def group_count(self, group: str) -> int | None:
        """Channels now in a dialplan group (GROUP_COUNT); None when Asterisk is not running."""
        try:
            with self.manager() as connection:
                answer, _ = connection.action("Getvar", Variable=f"GROUP_COUNT({group})")
        except (AsteriskUnavailable, ami.AmiError):
            return None
        return parsers.parse_group_count(answer.get("Value", ""))

    def channels_per_endpoint(self) -> dict[str, int]:
        return parsers.channels_per_endpoint(self.cli("core show channels concise"))

    def pjsip_state(self) -> PjsipState:
        return PjsipState(
            registrations=parsers.parse_registrations(self.cli("pjsip show registrations")),
            endpoint_aors=parsers.parse_endpoints(self.cli("pjsip show endpoints")),
            contacts=parsers.parse_contacts(self.cli("pjsip show contacts")),
        )

    def load_module(self, module: str) -> None:
        self.cli(f"module load {module}")

    def unload_module(self, module: str) -> None:
        self.cli(f"module unload {module}")

    def reload_module(self, module: str) -> None:
        self.cli(f"module reload {module}")

    def channels(self) -> list[Channel]:
        """Every channel now (AMI CoreShowChannels); raises AsteriskUnavailable."""
        try:
            with self.manager() as connection:
                events = connection.action_list("CoreShowChannels")
        except ami.AmiError as error:
            raise AsteriskUnavailable(str(error)) from error
        try:
            return [
                parsers.parse_core_channel(event)
                for event in events
                if event.get("Event") == "CoreShowChannel"
            ]
        except parsers.UnexpectedAnswer as error:
            raise AsteriskUnavailable(str(error)) from error

    def originate(self, request: Originate) -> None:
        """Queues the call (Async): Asterisk answers at once and rings the channel after."""
        fields = {
            "Channel": request.channel,
            "Context": request.context,
            "Exten": request.exten,
            "Priority": "1",
            "CallerID": request.caller_id,
            "Timeout": str(request.timeout_seconds * 1000),
            "ChannelId": request.channel_id,
            "Async": "true",
        }
        try:
            with self.manager() as connection:
                connection.action("Originate", **fields)
        except ami.AmiError as error:
            raise AsteriskUnavailable(str(error)) from error

    def hangup(self, channel: str) -> bool:
        """Hangs up one channel by its name; False when it no longer exists."""
        try:
            with self.manager() as connection:
                connection.action("Hangup", Channel=channel, Cause="16")
        except ami.AmiError:  # "No such channel": it ended meanwhile
            return False
        return True

    def manager_sessions(self) -> list[ManagerSession]:
        """The AMI sessions now (`manager show connected`)."""
        return parsers.parse_manager_sessions(self.cli("manager show connected"))

    def kick_manager_session(self, descriptor: int) -> None:
        """Ends one AMI session: a reload of manager.conf keeps those already logged in."""
        self.cli(f"manager kick session {descriptor}")
