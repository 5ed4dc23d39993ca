"""The AgentX subagent: registers ORPHEUS-MIB with snmpd and answers its requests.

One thread owns the connection: it connects to snmpd's master socket (retrying while snmpd
is absent or restarting), opens a session, registers the subtree, then answers Get, GetNext
and GetBulk from the current MibView. Notifications are sent from any thread through
`notify`, which snmpd forwards to its trap2sink/informsink/trapsess receivers.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from orpheus.snmp import agentx
from orpheus.snmp.agentx import ErrorStatus, Oid, Pdu, PduType, ValueType, VarBind
from orpheus.snmp.view import MibView

log = logging.getLogger(__name__)

SNMP_TRAP_OID: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
RECONNECT_SECONDS = 1.0
OPEN_TIMEOUT_SECONDS = 5
IDENT: Oid = (1, 3, 6, 1, 3, 7361)


class Subagent:
    def __init__(
        self,
        socket_path: Path,
        subtree: Oid,
        view: Callable[[], MibView],
        description: str = "Orpheus agent (ORPHEUS-MIB)",
    ) -> None:
        self._socket_path = socket_path
        self._subtree = subtree
        self._view = view
        self._description = description
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._send_lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._session_id = 0
        self._packet_ids = itertools.count(1)
        self._thread = threading.Thread(target=self._run, name="snmp-agentx", daemon=True)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                self._send(Pdu(PduType.CLOSE, payload=agentx.close_payload()))
            sock.close()
        self._thread.join(timeout=5)

    def notify(self, trap_oid: Oid, varbinds: list[VarBind]) -> bool:
        """Sends one notification through snmpd; False when not connected."""
        if not self.connected:
            log.warning("SNMP notification %s dropped: not connected to snmpd", trap_oid)
            return False
        head = VarBind(SNMP_TRAP_OID, ValueType.OBJECT_IDENTIFIER, trap_oid)
        payload = agentx.notify_payload([head, *varbinds])
        try:
            self._send(Pdu(PduType.NOTIFY, payload=payload))
        except OSError as error:
            log.warning("SNMP notification %s not sent: %s", trap_oid, error)
            return False
        return True

    # --- connection ---------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._session()
            except (OSError, agentx.AgentxError) as error:
                if not self._stop.is_set():
                    log.debug("AgentX session with %s ended: %s", self._socket_path, error)
            finally:
                self._connected.clear()
                if self._sock is not None:
                    self._sock.close()
                    self._sock = None
            self._stop.wait(RECONNECT_SECONDS)

    def _session(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(self._socket_path))
        self._sock = sock
        opened = self._request(
            Pdu(
                PduType.OPEN,
                payload=agentx.open_payload(OPEN_TIMEOUT_SECONDS, IDENT, self._description),
            )
        )
        self._session_id = opened.session_id
        self._request(Pdu(PduType.REGISTER, payload=agentx.register_payload(self._subtree)))
        log.info("ORPHEUS-MIB registered with snmpd over AgentX (%s)", self._socket_path)
        self._connected.set()
        while not self._stop.is_set():
            self._handle(self._receive())

    def _request(self, pdu: Pdu) -> Pdu:
        """Sends an Open or Register and waits for the master's answer (during set-up only)."""
        self._send(pdu)
        answer = self._receive()
        if answer.type != PduType.RESPONSE or answer.error != ErrorStatus.NO_ERROR:
            raise agentx.AgentxError(f"snmpd refused {pdu.type.name}: error {answer.error}")
        return answer

    def _send(self, pdu: Pdu) -> None:
        sock = self._sock
        if sock is None:
            raise OSError("not connected")
        if pdu.type != PduType.RESPONSE:
            pdu.session_id = self._session_id
            pdu.packet_id = next(self._packet_ids)
        with self._send_lock:
            sock.sendall(agentx.encode_pdu(pdu))

    def _receive(self) -> Pdu:
        header = self._read_exactly(agentx.HEADER_SIZE)
        pdu, length = agentx.decode_header(header)
        return agentx.decode_payload(pdu, self._read_exactly(length))

    def _read_exactly(self, size: int) -> bytes:
        if self._sock is None:
            raise ConnectionError("AgentX: not connected")
        chunks = bytearray()
        while len(chunks) < size:
            chunk = self._sock.recv(size - len(chunks))
            if not chunk:
                raise OSError("snmpd closed the AgentX connection")
            chunks += chunk
        return bytes(chunks)

    # --- requests -----------------------------------------------------------------------

    def _handle(self, pdu: Pdu) -> None:
        if pdu.type == PduType.RESPONSE:
            if pdu.error:
                log.warning("snmpd answered packet %d with error %d", pdu.packet_id, pdu.error)
            return
        if pdu.type == PduType.CLOSE:
            raise OSError("snmpd closed the AgentX session")
        error, varbinds = self._answer(pdu)
        reply = Pdu(
            PduType.RESPONSE,
            session_id=pdu.session_id,
            transaction_id=pdu.transaction_id,
            packet_id=pdu.packet_id,
            payload=agentx.response_payload(varbinds, error=error, index=1 if error else 0),
        )
        self._send(reply)

    def _answer(self, pdu: Pdu) -> tuple[int, list[VarBind]]:
        view = self._view()
        if pdu.type == PduType.GET:
            return ErrorStatus.NO_ERROR, [view.get(search.start) for search in pdu.ranges]
        if pdu.type == PduType.GET_NEXT:
            return ErrorStatus.NO_ERROR, [view.next(search) for search in pdu.ranges]
        if pdu.type == PduType.GET_BULK:
            return ErrorStatus.NO_ERROR, _bulk(view, pdu)
        if pdu.type == PduType.TEST_SET:
            return ErrorStatus.NOT_WRITABLE, []
        # CommitSet, UndoSet, CleanupSet (never reached after a refused TestSet) and Ping.
        return ErrorStatus.NO_ERROR, []


def _bulk(view: MibView, pdu: Pdu) -> list[VarBind]:
    """GetBulk: the non-repeaters once, then the repeaters interleaved, row by row."""
    fixed = [view.next(search) for search in pdu.ranges[: pdu.non_repeaters]]
    columns = [view.bulk(search, pdu.max_repetitions) for search in pdu.ranges[pdu.non_repeaters :]]
    rows = []
    for repetition in range(max((len(column) for column in columns), default=0)):
        row = [column[repetition] if repetition < len(column) else column[-1] for column in columns]
        rows.extend(row)
        if all(varbind.type == ValueType.END_OF_MIB_VIEW for varbind in row):
            break
    return fixed + rows
