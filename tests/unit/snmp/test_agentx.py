"""The AgentX wire protocol (orpheus.snmp.agentx, RFC 2741): encode and decode round trips of
every PDU and value type, both byte orders, and malformed input."""

from __future__ import annotations

import struct

import pytest

from orpheus.snmp import agentx
from orpheus.snmp.agentx import (
    FLAG_NETWORK_BYTE_ORDER,
    FLAG_NON_DEFAULT_CONTEXT,
    HEADER_SIZE,
    AgentxError,
    Pdu,
    PduType,
    SearchRange,
    ValueType,
    VarBind,
)

ORPHEUS = (1, 3, 6, 1, 4, 1, 99999, 1)
VALUES = [
    VarBind((*ORPHEUS, 1, 0), ValueType.INTEGER, -5),
    VarBind((*ORPHEUS, 2, 0), ValueType.INTEGER, 2**31 - 1),
    VarBind((*ORPHEUS, 3, 0), ValueType.OCTET_STRING, b"Orpheus 1.2.0"),
    VarBind((*ORPHEUS, 4, 0), ValueType.OCTET_STRING, b""),
    VarBind((*ORPHEUS, 5, 0), ValueType.OCTET_STRING, b"abcd"),  # no padding needed
    VarBind((*ORPHEUS, 6, 0), ValueType.NULL, None),
    VarBind((*ORPHEUS, 7, 0), ValueType.OBJECT_IDENTIFIER, (1, 3, 6, 1, 6, 3, 1, 1, 5, 1)),
    VarBind((*ORPHEUS, 8, 0), ValueType.OBJECT_IDENTIFIER, (0, 0)),  # no internet prefix
    VarBind((*ORPHEUS, 9, 0), ValueType.IP_ADDRESS, bytes([10, 0, 0, 100])),
    VarBind((*ORPHEUS, 10, 0), ValueType.COUNTER32, 2**32 - 1),
    VarBind((*ORPHEUS, 11, 0), ValueType.GAUGE32, 42),
    VarBind((*ORPHEUS, 12, 0), ValueType.TIME_TICKS, 360000),
    VarBind((*ORPHEUS, 13, 0), ValueType.COUNTER64, 2**64 - 1),
    VarBind((*ORPHEUS, 14, 0), ValueType.NO_SUCH_OBJECT, None),
    VarBind((*ORPHEUS, 15, 0), ValueType.NO_SUCH_INSTANCE, None),
    VarBind((*ORPHEUS, 16, 0), ValueType.END_OF_MIB_VIEW, None),
]


def _round_trip(pdu: Pdu) -> Pdu:
    wire = agentx.encode_pdu(pdu)
    header, length = agentx.decode_header(wire[:HEADER_SIZE])
    assert length == len(wire) - HEADER_SIZE
    return agentx.decode_payload(header, wire[HEADER_SIZE:])


def test_the_header_round_trips_for_every_pdu_type() -> None:
    for kind in PduType:
        sent = Pdu(kind, session_id=7, transaction_id=8, packet_id=9, payload=b"\0" * 8)
        wire = agentx.encode_pdu(sent)
        assert len(wire) == HEADER_SIZE + 8 and wire[0] == 1 and wire[1] == kind
        got, length = agentx.decode_header(wire[:HEADER_SIZE])
        assert (got.type, got.session_id, got.transaction_id, got.packet_id, length) == (
            kind, 7, 8, 9, 8,
        )  # fmt: skip
        assert got.flags & FLAG_NETWORK_BYTE_ORDER


def test_every_value_type_round_trips_in_a_response() -> None:
    payload = agentx.response_payload(VALUES, error=5, index=2, uptime=1234)
    got = _round_trip(Pdu(PduType.RESPONSE, packet_id=3, payload=payload))
    assert (got.error, got.error_index) == (5, 2)
    assert got.varbinds == VALUES


@pytest.mark.parametrize("varbind", VALUES, ids=lambda v: v.type.name)
def test_each_value_type_alone(varbind: VarBind) -> None:
    got = _round_trip(Pdu(PduType.RESPONSE, payload=agentx.response_payload([varbind])))
    assert got.varbinds == [varbind]


def test_notify_varbinds_are_a_response_without_its_head() -> None:
    payload = agentx.notify_payload(VALUES)
    head = agentx.response_payload([])
    assert len(head) == 8
    got = _round_trip(Pdu(PduType.RESPONSE, payload=head + payload))
    assert got.varbinds == VALUES


def test_octets_are_padded_to_four_bytes() -> None:
    assert agentx.encode_octets(b"abc") == struct.pack("!I", 3) + b"abc\0"
    assert agentx.encode_octets(b"abcd") == struct.pack("!I", 4) + b"abcd"
    assert agentx.encode_octets(b"") == struct.pack("!I", 0)


def test_oids_under_the_internet_prefix_are_compressed() -> None:
    assert agentx.encode_oid((1, 3, 6, 1, 4, 1, 99)) == bytes([2, 4, 0, 0]) + struct.pack(
        "!II", 1, 99
    )
    assert agentx.encode_oid((1, 3, 6, 1, 4), include=True) == bytes([0, 4, 1, 0])
    # Not compressible: a fifth sub-identifier of 0 or over 255, or another root.
    assert agentx.encode_oid((1, 3, 6, 1, 0, 5))[:4] == bytes([6, 0, 0, 0])
    assert agentx.encode_oid((1, 3, 6, 1, 300))[:4] == bytes([5, 0, 0, 0])
    assert agentx.encode_oid((1, 3, 6, 1))[:4] == bytes([4, 0, 0, 0])
    assert agentx.encode_oid(())[:4] == bytes([0, 0, 0, 0])


def _ranges(*ranges: SearchRange) -> bytes:
    encode = agentx.encode_oid
    return b"".join(encode(r.start, r.include) + encode(r.end) for r in ranges)


RANGES = [
    SearchRange((*ORPHEUS, 1), (*ORPHEUS, 2), True),
    SearchRange((*ORPHEUS, 5, 1), (), False),  # an empty end: no upper bound
]


@pytest.mark.parametrize("kind", [PduType.GET, PduType.GET_NEXT])
def test_get_and_getnext_ranges_round_trip(kind: PduType) -> None:
    got = _round_trip(Pdu(kind, payload=_ranges(*RANGES)))
    assert got.ranges == RANGES


def test_getbulk_carries_its_repeaters() -> None:
    payload = struct.pack("!HH", 1, 10) + _ranges(*RANGES)
    got = _round_trip(Pdu(PduType.GET_BULK, payload=payload))
    assert (got.non_repeaters, got.max_repetitions, got.ranges) == (1, 10, RANGES)


def test_a_non_default_context_is_skipped() -> None:
    payload = agentx.encode_octets(b"ctx") + _ranges(*RANGES)
    got = _round_trip(Pdu(PduType.GET, flags=FLAG_NON_DEFAULT_CONTEXT, payload=payload))
    assert got.ranges == RANGES


def test_little_endian_pdus_are_decoded() -> None:
    """The master may send in its host order; the flag says which."""
    oid = (1, 3, 6, 1, 4, 1, 99999, 1, 3, 0)
    body = bytes([len(oid) - 5, 4, 1, 0]) + struct.pack(f"<{len(oid) - 5}I", *oid[5:])
    body += bytes([0, 0, 0, 0])  # end: empty
    header = struct.pack("<BBBBIIII", 1, PduType.GET_NEXT, 0, 0, 7, 8, 9, len(body))
    pdu, length = agentx.decode_header(header)
    assert (pdu.session_id, pdu.transaction_id, pdu.packet_id, length) == (7, 8, 9, len(body))
    assert agentx.decode_payload(pdu, body).ranges == [SearchRange(oid, (), True)]
    varbind = struct.pack("<HH", ValueType.COUNTER64, 0) + bytes([0, 0, 0, 0])
    varbind += struct.pack("<Q", 2**40)
    response = struct.pack("<IHH", 0, 0, 0) + varbind
    answer, _ = agentx.decode_header(struct.pack("<BBBBIIII", 1, 18, 0, 0, 0, 0, 0, 0))
    assert agentx.decode_payload(answer, response).varbinds == [
        VarBind((), ValueType.COUNTER64, 2**40)
    ]


def test_the_subagents_own_payloads() -> None:
    opened = agentx.open_payload(30, ORPHEUS, "Orpheus agent")
    assert opened[:4] == bytes([30, 0, 0, 0])
    assert opened[4:] == agentx.encode_oid(ORPHEUS) + agentx.encode_octets(b"Orpheus agent")
    assert agentx.register_payload(ORPHEUS) == bytes([0, 127, 0, 0]) + agentx.encode_oid(ORPHEUS)
    assert agentx.close_payload() == bytes([1, 0, 0, 0])


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (ValueType.INTEGER, "1"),
        (ValueType.COUNTER64, None),
        (ValueType.OCTET_STRING, "text"),
        (ValueType.IP_ADDRESS, 10),
        (ValueType.OBJECT_IDENTIFIER, [1, 3]),
    ],
)
def test_a_value_of_the_wrong_python_type_is_refused(kind: ValueType, value: object) -> None:
    with pytest.raises(TypeError, match=f"AgentX {kind.name} needs"):
        agentx.encode_value(kind, value)  # type: ignore[arg-type]


def test_an_out_of_range_integer_is_refused() -> None:
    with pytest.raises(struct.error):
        agentx.encode_value(ValueType.COUNTER32, -1)


def test_a_wrong_version_or_unknown_pdu_type_is_refused() -> None:
    good = agentx.encode_pdu(Pdu(PduType.PING))
    with pytest.raises(AgentxError, match="unsupported AgentX version 2"):
        agentx.decode_header(bytes([2]) + good[1:])
    with pytest.raises(AgentxError, match="unknown AgentX PDU type 99"):
        agentx.decode_header(good[:1] + bytes([99]) + good[2:])


@pytest.mark.parametrize(
    "payload",
    [
        agentx.response_payload(VALUES)[:-3],  # the last value cut short
        agentx.response_payload([])[:5],  # the response head cut short
        agentx.response_payload([VALUES[6]])[:-2],  # inside an OID
    ],
)
def test_a_truncated_response_is_refused(payload: bytes) -> None:
    pdu, _ = agentx.decode_header(agentx.encode_pdu(Pdu(PduType.RESPONSE, payload=payload)))
    with pytest.raises(AgentxError, match="shorter than its contents"):
        agentx.decode_payload(pdu, payload)


def test_a_truncated_search_range_is_refused() -> None:
    payload = _ranges(*RANGES)[:-4]
    pdu, _ = agentx.decode_header(agentx.encode_pdu(Pdu(PduType.GET_NEXT, payload=payload)))
    with pytest.raises(AgentxError):
        agentx.decode_payload(pdu, payload)


def test_an_unknown_value_type_is_refused_as_malformed() -> None:
    payload = agentx.response_payload([]) + struct.pack("!HH", 99, 0) + agentx.encode_oid(())
    pdu, _ = agentx.decode_header(agentx.encode_pdu(Pdu(PduType.RESPONSE, payload=payload)))
    with pytest.raises(AgentxError):
        agentx.decode_payload(pdu, payload)


def test_an_octet_string_longer_than_the_payload_is_refused() -> None:
    payload = agentx.response_payload([VALUES[2]])[:-4]
    pdu, _ = agentx.decode_header(agentx.encode_pdu(Pdu(PduType.RESPONSE, payload=payload)))
    with pytest.raises(AgentxError):
        agentx.decode_payload(pdu, payload)
