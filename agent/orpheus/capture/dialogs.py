"""SIP messages grouped into dialogs by Call-ID: who called whom, when, for how long, and
how the dialog's first request ended (its final response).

Bounded: at most MAX_DIALOGS dialogs and MAX_MESSAGES messages per dialog are kept (a flood
of INVITEs with fresh Call-IDs fills the first and the rest are counted, not kept).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from orpheus.capture.sip import SipMessage

MAX_DIALOGS = 1000
MAX_MESSAGES = 500
CHALLENGES = (401, 407)


@dataclass
class Dialog:
    call_id: str
    method: str  # the first request's method (INVITE, REGISTER, OPTIONS, ...)
    from_: str
    to: str
    start: float
    end: float
    final_status: int | None = None
    final_reason: str = ""
    answered_at: float | None = None  # the 2xx to the INVITE
    bye_at: float | None = None
    messages: list[SipMessage] = field(default_factory=list)
    dropped: int = 0  # messages past MAX_MESSAGES

    @property
    def duration(self) -> float:
        """A call's talk time (2xx to BYE) when both were seen, else first to last message."""
        if self.answered_at is not None and self.bye_at is not None:
            return max(0.0, self.bye_at - self.answered_at)
        return max(0.0, self.end - self.start)

    def add(self, message: SipMessage) -> None:
        self.end = max(self.end, message.time)
        if message.status is None:
            if message.method == "BYE" and self.bye_at is None:
                self.bye_at = message.time
        elif message.method == self.method and message.status >= 200 and self._open():
            self.final_status, self.final_reason = message.status, message.reason
            if self.method == "INVITE" and message.status < 300 and self.answered_at is None:
                self.answered_at = message.time
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)
        else:
            self.dropped += 1

    def _open(self) -> bool:
        """No final response yet, or only a challenge (401/407) the request is sent again
        after, with credentials: the dialog's outcome is the answer to that one."""
        return self.final_status is None or self.final_status in CHALLENGES

    def as_dict(self, *, messages: bool = False) -> dict[str, object]:
        answer: dict[str, object] = {
            "call_id": self.call_id,
            "method": self.method,
            "from": self.from_,
            "to": self.to,
            "start": self.start,
            "duration": round(self.duration, 3),
            "final_response": (
                None if self.final_status is None
                else f"{self.final_status} {self.final_reason}".strip()
            ),
            "message_count": len(self.messages) + self.dropped,
        }  # fmt: skip
        if messages:
            answer["messages"] = [
                {"time": m.time, "source": m.source, "destination": m.destination,
                 "label": m.label, "transport": m.transport}
                for m in self.messages
            ]  # fmt: skip
        return answer


@dataclass
class Dialogs:
    dialogs: dict[str, Dialog] = field(default_factory=dict)  # by Call-ID, in order seen
    dropped: int = 0  # messages of dialogs past MAX_DIALOGS

    def add(self, message: SipMessage) -> None:
        dialog = self.dialogs.get(message.call_id)
        if dialog is None:
            if len(self.dialogs) >= MAX_DIALOGS or message.status is not None:
                # A response whose request was not captured starts no dialog.
                self.dropped += 1
                return
            dialog = Dialog(
                message.call_id, message.method, message.from_, message.to, message.time,
                message.time,
            )  # fmt: skip
            self.dialogs[message.call_id] = dialog
        dialog.add(message)


def group(messages: Iterable[SipMessage]) -> Dialogs:
    found = Dialogs()
    for message in sorted(messages, key=lambda m: m.time):
        found.add(message)
    return found
