"""The AgentX wire protocol (RFC 2741): PDU headers, OIDs, values and varbinds.

Only what a read-only subagent needs: Open, Register, Get, GetNext, GetBulk, Notify, Ping,
Close and the master's Response, plus refusing the Set phases. Encoding is always in network
byte order (the NETWORK_BYTE_ORDER flag is set); decoding honours the flag of each PDU.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TypeVar

T = TypeVar("T")

Oid = tuple[int, ...]

HEADER_SIZE = 20
INTERNET_PREFIX: Oid = (1, 3, 6, 1)
FLAG_NETWORK_BYTE_ORDER = 0x10
FLAG_NON_DEFAULT_CONTEXT = 0x08


class PduType(IntEnum):
    OPEN = 1
    CLOSE = 2
    REGISTER = 3
    UNREGISTER = 4
    GET = 5
    GET_NEXT = 6
    GET_BULK = 7
    TEST_SET = 8
    COMMIT_SET = 9
    UNDO_SET = 10
    CLEANUP_SET = 11
    NOTIFY = 12
    PING = 13
    RESPONSE = 18


class ValueType(IntEnum):
    INTEGER = 2
    OCTET_STRING = 4
    NULL = 5
    OBJECT_IDENTIFIER = 6
    IP_ADDRESS = 64
    COUNTER32 = 65
    GAUGE32 = 66
    TIME_TICKS = 67
    COUNTER64 = 70
    NO_SUCH_OBJECT = 128
    NO_SUCH_INSTANCE = 129
    END_OF_MIB_VIEW = 130


class ErrorStatus(IntEnum):
    NO_ERROR = 0
    GEN_ERR = 5
    NOT_WRITABLE = 17
    OPEN_FAILED = 256
    NOT_OPEN = 257


class AgentxError(RuntimeError):
    """A malformed PDU or a refusal by the master agent."""


@dataclass(frozen=True)
class VarBind:
    oid: Oid
    type: ValueType
    value: int | bytes | Oid | None = None


@dataclass(frozen=True)
class SearchRange:
    start: Oid
    end: Oid
    include: bool


@dataclass
class Pdu:
    type: PduType
    session_id: int = 0
    transaction_id: int = 0
    packet_id: int = 0
    flags: int = FLAG_NETWORK_BYTE_ORDER
    payload: bytes = b""
    # Decoded parts, filled by decode_request/decode_response.
    ranges: list[SearchRange] = field(default_factory=list)
    non_repeaters: int = 0
    max_repetitions: int = 0
    error: int = 0
    error_index: int = 0
    varbinds: list[VarBind] = field(default_factory=list)


# --- encoding -------------------------------------------------------------------------------


def encode_oid(oid: Oid, include: bool = False) -> bytes:
    prefix = 0
    subids = oid
    if len(oid) > 4 and oid[:4] == INTERNET_PREFIX and 0 < oid[4] < 256:
        prefix, subids = oid[4], oid[5:]
    head = struct.pack("!BBBB", len(subids), prefix, int(include), 0)
    return head + struct.pack(f"!{len(subids)}I", *subids)


def encode_octets(data: bytes) -> bytes:
    padding = (4 - len(data) % 4) % 4
    return struct.pack("!I", len(data)) + data + b"\0" * padding


def encode_value(kind: ValueType, value: int | bytes | Oid | None) -> bytes:
    if kind in (ValueType.INTEGER, ValueType.COUNTER32, ValueType.GAUGE32, ValueType.TIME_TICKS):
        return struct.pack("!i" if kind == ValueType.INTEGER else "!I", _of(int, kind, value))
    if kind == ValueType.COUNTER64:
        return struct.pack("!Q", _of(int, kind, value))
    if kind in (ValueType.OCTET_STRING, ValueType.IP_ADDRESS):
        return encode_octets(_of(bytes, kind, value))
    if kind == ValueType.OBJECT_IDENTIFIER:
        return encode_oid(_of(tuple, kind, value))
    return b""


def _of(expected: type[T], kind: ValueType, value: object) -> T:
    if not isinstance(value, expected):
        raise TypeError(f"AgentX {kind.name} needs {expected.__name__}, got {value!r}")
    return value


def encode_varbind(varbind: VarBind) -> bytes:
    head = struct.pack("!HH", varbind.type, 0) + encode_oid(varbind.oid)
    return head + encode_value(varbind.type, varbind.value)


def encode_pdu(pdu: Pdu) -> bytes:
    header = struct.pack(
        "!BBBBIIII",
        1,
        pdu.type,
        pdu.flags | FLAG_NETWORK_BYTE_ORDER,
        0,
        pdu.session_id,
        pdu.transaction_id,
        pdu.packet_id,
        len(pdu.payload),
    )
    return header + pdu.payload


def open_payload(timeout: int, ident: Oid, description: str) -> bytes:
    return struct.pack("!B3x", timeout) + encode_oid(ident) + encode_octets(description.encode())


def register_payload(subtree: Oid, priority: int = 127, timeout: int = 0) -> bytes:
    return struct.pack("!BBBB", timeout, priority, 0, 0) + encode_oid(subtree)


def close_payload(reason: int = 1) -> bytes:
    return struct.pack("!B3x", reason)


def response_payload(
    varbinds: list[VarBind], error: int = 0, index: int = 0, uptime: int = 0
) -> bytes:
    return struct.pack("!IHH", uptime, error, index) + b"".join(map(encode_varbind, varbinds))


def notify_payload(varbinds: list[VarBind]) -> bytes:
    return b"".join(map(encode_varbind, varbinds))


# --- decoding -------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes, big_endian: bool) -> None:
        self.data = data
        self.offset = 0
        self.order = "!" if big_endian else "<"

    def take(self, fmt: str) -> tuple[int, ...]:
        size = struct.calcsize(self.order + fmt)
        if self.offset + size > len(self.data):
            raise AgentxError("PDU payload is shorter than its contents")
        values = struct.unpack_from(self.order + fmt, self.data, self.offset)
        self.offset += size
        return values

    def oid(self) -> tuple[Oid, bool]:
        count, prefix, include, _ = self.take("BBBB")
        subids = self.take(f"{count}I") if count else ()
        if prefix:
            return (*INTERNET_PREFIX, prefix, *subids), bool(include)
        return tuple(subids), bool(include)

    def octets(self) -> bytes:
        (length,) = self.take("I")
        if self.offset + length > len(self.data):
            raise AgentxError("octet string longer than the PDU payload")
        data = self.data[self.offset : self.offset + length]
        self.offset += length + (4 - length % 4) % 4
        return data

    def done(self) -> bool:
        return self.offset >= len(self.data)

    def varbind(self) -> VarBind:
        kind, _ = self.take("HH")
        oid, _ = self.oid()
        value: int | bytes | Oid | None = None
        try:
            vtype = ValueType(kind)
        except ValueError as error:
            raise AgentxError(f"unknown AgentX value type {kind}") from error
        if vtype == ValueType.INTEGER:
            (value,) = self.take("i")
        elif vtype in (ValueType.COUNTER32, ValueType.GAUGE32, ValueType.TIME_TICKS):
            (value,) = self.take("I")
        elif vtype == ValueType.COUNTER64:
            (value,) = self.take("Q")
        elif vtype in (ValueType.OCTET_STRING, ValueType.IP_ADDRESS):
            value = self.octets()
        elif vtype == ValueType.OBJECT_IDENTIFIER:
            value, _ = self.oid()
        return VarBind(oid, vtype, value)


def decode_header(data: bytes) -> tuple[Pdu, int]:
    """The PDU of a 20-byte header, without payload, and the payload's length."""
    version, kind, flags, _ = struct.unpack_from("!BBBB", data)
    if version != 1:
        raise AgentxError(f"unsupported AgentX version {version}")
    order = "!" if flags & FLAG_NETWORK_BYTE_ORDER else "<"
    session, transaction, packet, length = struct.unpack_from(order + "IIII", data, 4)
    try:
        pdu_type = PduType(kind)
    except ValueError as error:
        raise AgentxError(f"unknown AgentX PDU type {kind}") from error
    return Pdu(pdu_type, session, transaction, packet, flags), length


def decode_payload(pdu: Pdu, payload: bytes) -> Pdu:
    pdu.payload = payload
    reader = _Reader(payload, bool(pdu.flags & FLAG_NETWORK_BYTE_ORDER))
    if pdu.flags & FLAG_NON_DEFAULT_CONTEXT and pdu.type in (
        PduType.GET,
        PduType.GET_NEXT,
        PduType.GET_BULK,
        PduType.TEST_SET,
    ):
        reader.octets()
    if pdu.type == PduType.RESPONSE:
        _, pdu.error, pdu.error_index = reader.take("IHH")
        while not reader.done():
            pdu.varbinds.append(reader.varbind())
    elif pdu.type in (PduType.GET, PduType.GET_NEXT, PduType.GET_BULK):
        if pdu.type == PduType.GET_BULK:
            pdu.non_repeaters, pdu.max_repetitions = reader.take("HH")
        while not reader.done():
            start, include = reader.oid()
            end, _ = reader.oid()
            pdu.ranges.append(SearchRange(start, end, include))
    return pdu
