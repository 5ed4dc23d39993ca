"""SIP over TLS and SRTP settings (orpheus.pbx.sip_security): the records' transport,
media_encryption and require_tls_srtp, checked and rendered; the TLS transport and its pair."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.pbx.apply import modules_to_reload
from orpheus.pbx.records import RecordError, kind_of, normalise
from orpheus.pbx.render import (
    DIALPLAN_FILE,
    PJSIP_FILE,
    CallLimit,
    render_all,
    render_dialplan,
    render_pjsip,
    trunk_endpoint,
)
from orpheus.pbx.schemas import record_schema
from orpheus.pbx.sip_security import ASTERISK_ETC, TLS_TRANSPORT, SipTls, remove_stale_pairs
from orpheus.pbx.store import Config
from tests.agent_parts import PbxUnit
from tests.unit.pbx.test_render import _config, _section

PAIR = SipTls("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
              "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")  # fmt: skip


def _extension(number: str, **fields: object) -> dict[str, object]:
    return {"number": number, "password": f"pw{number}pw{number}", **fields}


def _secure() -> Config:
    return _config(extension={
        "101": _extension("101", transport="tls", media_encryption="sdes",
                          require_tls_srtp="yes"),
        "102": _extension("102"),
    })  # fmt: skip


def test_the_defaults_render_as_before() -> None:
    config = _config(extension={"101": _extension("101")},
                     trunk={"t": {"name": "t", "host": "sip.example.net"}})  # fmt: skip
    record = config["extension"]["101"]
    assert (record["transport"], record["media_encryption"]) == ("udp", "none")
    assert record["require_tls_srtp"] is False
    pjsip = render_pjsip(config)
    for option in ("transport=", "media_encryption", "dtls_"):
        assert option not in pjsip
    assert "contact=sip:sip.example.net:5060\n" in pjsip
    dialplan = render_dialplan(config, CallLimit(10, False), 1)
    assert "orpheus-secure" not in dialplan and "ORPHEUS_SECURE_" not in dialplan
    assert " same => n,Dial(PJSIP/101,30)\n" in dialplan


def test_an_extension_over_tls_with_sdes_is_optimistic_unless_required() -> None:
    config = _config(extension={
        "101": _extension("101", transport="tls", media_encryption="sdes"),
        "102": _extension("102", transport="tcp", media_encryption="dtls"),
    })  # fmt: skip
    pjsip = render_pjsip(config)
    tls = _section(pjsip, "101", "endpoint")
    assert f"transport={TLS_TRANSPORT}\n" in tls and "media_encryption=sdes\n" in tls
    assert "media_encryption_optimistic=yes\n" in tls
    tcp = _section(pjsip, "102", "endpoint")
    assert "transport=transport-tcp\n" in tcp and "media_encryption=dtls\n" in tcp
    assert "dtls_auto_generate_cert=yes\n" in tcp
    # nothing required: no check in the dialplan
    assert "orpheus-secure" not in render_dialplan(config, CallLimit(10, False), 1)


def test_a_required_extension_refuses_plain_media_and_is_checked_in_the_dialplan() -> None:
    config = _secure()
    endpoint = _section(render_pjsip(config), "101", "endpoint")
    assert "media_encryption_optimistic=no\n" in endpoint
    dialplan = render_dialplan(config, CallLimit(10, False), 1)
    assert "ORPHEUS_SECURE_101=1\n" in dialplan and "ORPHEUS_SECURE_102" not in dialplan
    target = dialplan[dialplan.index("exten => 101,1,") :]
    target = target[: target.index("Hangup()")]
    # the caller's channel is checked before anything is rung; the answered one after
    check = target.index("Gosub(orpheus-secure-caller,s,1(101))")
    assert check < target.index("Dial(PJSIP/101,30,U(orpheus-secure-answered^101))")
    caller = dialplan[dialplan.index("[orpheus-secure-caller]") :]
    caller = caller[: caller.index("\n\n")]
    for test in ("${CHANNEL(pjsip,secure)}", "${CHANNEL(rtp,secure)}", "Hangup(58)"):
        assert test in caller
    # a call from 101 to anywhere is checked too (the caller's own requirement)
    internal = dialplan[dialplan.index("[orpheus-internal]") :]
    assert "Gosub(orpheus-secure-caller,s,1())" in internal


def test_a_trunk_over_tls_is_sent_to_over_tls() -> None:
    config = _config(trunk={"t": {"name": "t", "host": "sip.example.net", "port": "5061",
                                  "transport": "tls", "media_encryption": "sdes"}})  # fmt: skip
    pjsip = render_pjsip(config)
    name = trunk_endpoint("t")
    aor = _section(pjsip, name, "aor")  # an unescaped ';' would start a comment
    assert "contact=sip:sip.example.net:5061\\;transport=tls\n" in aor
    endpoint = _section(pjsip, name, "endpoint")
    assert f"transport={TLS_TRANSPORT}\n" in endpoint and "media_encryption=sdes\n" in endpoint


def test_the_tls_transport_uses_the_pair_rendered_beside_it() -> None:
    files = render_all(_config(), CallLimit(10, False), 1, PAIR)
    transport = _section(files[PJSIP_FILE], TLS_TRANSPORT, "transport")
    assert "protocol=tls\nbind=0.0.0.0:5061\n" in transport
    assert f"cert_file={ASTERISK_ETC}/{PAIR.cert_file}\n" in transport
    assert f"priv_key_file={ASTERISK_ETC}/{PAIR.key_file}\n" in transport
    assert files[PAIR.cert_file] == PAIR.cert_pem and files[PAIR.key_file] == PAIR.key_pem
    assert "verify_client=no" in transport  # phones log in with their SIP password
    # a replaced pair is a new path: the transport changes, so a reload re-creates it
    other = SipTls(PAIR.cert_pem.replace("MIIB", "MIIC"), PAIR.key_pem)
    assert other.cert_file != PAIR.cert_file
    assert TLS_TRANSPORT not in render_all(_config(), CallLimit(10, False), 1)[PJSIP_FILE]
    assert DIALPLAN_FILE in files
    # an HA peer's synced pair reloads res_pjsip alone, not every module
    assert modules_to_reload([PAIR.cert_file, PAIR.key_file]) == ("res_pjsip.so",)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"transport": "quic"}, "extension transport: udp, tcp or tls"),
        ({"transport": "TLS"}, "extension transport: udp, tcp or tls"),
        ({"media_encryption": "zrtp"}, "extension media_encryption: none, sdes or dtls"),
        ({"require_tls_srtp": "maybe"}, "field 'require_tls_srtp' must be a bool"),
        ({"require_tls_srtp": "yes"}, "require_tls_srtp needs transport=tls and media_enc"),
        ({"require_tls_srtp": True, "transport": "tls"}, "media_encryption=sdes or dtls"),
        ({"require_tls_srtp": True, "media_encryption": "sdes"}, "needs transport=tls"),
    ],
)
def test_bad_security_settings_are_refused_in_one_line(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(RecordError, match=message) as refused:
        normalise(kind_of("extension"), _extension("101", **fields))
    assert "\n" not in str(refused.value)


def test_a_trunk_refuses_a_bad_transport() -> None:
    with pytest.raises(RecordError, match="trunk transport: udp, tcp or tls"):
        normalise(kind_of("trunk"), {"name": "t", "host": "h", "transport": "sctp"})
    with pytest.raises(RecordError, match="unknown field"):  # only extensions may require
        normalise(kind_of("trunk"), {"name": "t", "host": "h", "require_tls_srtp": True})


def test_the_api_declares_the_fields_and_refuses_bad_values(tmp_path: Path) -> None:
    schema = record_schema(kind_of("extension"))
    assert schema["properties"]["transport"]["pattern"] == "^(udp|tcp|tls)$"
    assert "require_tls_srtp" in schema["properties"]
    assert "media_encryption" in record_schema(kind_of("trunk"))["properties"]
    unit = PbxUnit(tmp_path / "data", tmp_path)
    bad = unit.request("POST", "/api/v1/pbx/extension", _extension("101", transport="quic"))
    assert bad.status == 400 and "udp, tcp or tls" in bad.body["error"], bad
    contradictory = unit.request("POST", "/api/v1/pbx/extension",
                                 _extension("101", require_tls_srtp=True))  # fmt: skip
    assert contradictory.status == 400, contradictory
    assert contradictory.body["error"] == ("extension 101: require_tls_srtp needs transport=tls "
                                           "and media_encryption=sdes or dtls")  # fmt: skip
    good = unit.request("POST", "/api/v1/pbx/extension", _extension(
        "101", transport="tls", media_encryption="sdes", require_tls_srtp=True))  # fmt: skip
    assert good.status == 200, good
    assert good.body["record"]["require_tls_srtp"] is True
    assert "media_encryption_optimistic=no" in (unit.asterisk_dir / PJSIP_FILE).read_text()


def test_only_the_current_pair_is_left_in_asterisks_directory(tmp_path: Path) -> None:
    old = SipTls(PAIR.cert_pem.replace("MIIB", "MIIA"), PAIR.key_pem)
    for pair in (old, PAIR):
        for name, text in pair.files().items():
            (tmp_path / name).parent.mkdir(exist_ok=True)
            (tmp_path / name).write_text(text)
    (tmp_path / "pjsip-tls/other.pem").write_text("not ours")
    remove_stale_pairs(tmp_path, PAIR)
    left = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "pjsip-tls").iterdir())
    assert left == sorted([*PAIR.files(), "pjsip-tls/other.pem"])
    remove_stale_pairs(tmp_path, None)  # no certificate: no pair of ours is left
    assert [p.name for p in (tmp_path / "pjsip-tls").iterdir()] == ["other.pem"]
    remove_stale_pairs(tmp_path / "none", PAIR)  # nothing rendered yet: nothing to do


def test_an_insecure_call_is_refused_before_a_recording_starts() -> None:
    config = _secure()
    config["recording"]["recording"]["enabled"] = True
    dialplan = render_dialplan(config, CallLimit(10, False), 1)
    target = dialplan[dialplan.index("exten => 101,1,") :]
    assert target.index("orpheus-secure-caller") < target.index("MixMonitor(")
