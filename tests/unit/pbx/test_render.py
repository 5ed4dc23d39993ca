"""Asterisk's files from the PBX configuration (orpheus.pbx.render)."""

from __future__ import annotations

from orpheus.licensing.tiers import TIERS
from orpheus.pbx.records import kind_of, normalise
from orpheus.pbx.render import (
    DIALPLAN_FILE,
    HEADER,
    PJSIP_FILE,
    QUEUES_FILE,
    CallLimit,
    render_all,
    render_dialplan,
    render_pjsip,
    render_queues,
    trunk_endpoint,
)
from orpheus.pbx.store import Config


def test_dialplan_enforces_the_limit_in_asterisk() -> None:
    empty = {"extension": {}, "trunk": {}, "queue": {}, "ivr": {}, "balancer": {},
             "recording": {"recording": {"enabled": False}}}  # fmt: skip
    text = render_dialplan(empty, CallLimit(TIERS["mini"].concurrent_calls, False), 7)
    assert "ORPHEUS_MAX_CALLS=10" in text and "Hangup(34)" in text
    assert "ORPHEUS_CONFIG_SERIAL=7" in text
    internal = text[text.index("[orpheus-internal]") :]
    assert "Gosub(orpheus-limit,s,1)" in internal
    vm = render_dialplan(empty, CallLimit(5, True), 8)
    assert "Gosub(orpheus-limit,s,1)" not in vm[vm.index("[orpheus-internal]") :]


def _config(**kinds: dict[str, dict[str, object]]) -> Config:
    """A normalised configuration: records given by their fields, defaults filled in."""
    config: Config = {name: {} for name in ("extension", "trunk", "queue", "ivr", "balancer")}
    for kind_name, records in kinds.items():
        kind = kind_of(kind_name)
        config[kind_name] = {key: normalise(kind, values) for key, values in records.items()}
    config["recording"] = {"recording": {"enabled": False}}
    return config


def _section(text: str, header: str, type_: str) -> str:
    """The section `[header]` with type=type_ (pjsip repeats a name for each type)."""
    for part in text.split("\n\n"):  # each section ends in a newline, then a blank line
        if part.startswith(f"[{header}]\ntype={type_}\n"):
            return part.rstrip("\n") + "\n"
    raise AssertionError(f"no [{header}] type={type_} in:\n{text}")


def test_an_extension_is_an_endpoint_an_auth_and_an_aor() -> None:
    config = _config(extension={
        "101": {"number": "101", "password": "pw101pw101", "name": "Front Desk"},
        "102": {"number": "102", "password": "pw102pw102", "remote": True},
    })  # fmt: skip
    text = render_pjsip(config)
    assert text.startswith(HEADER)
    endpoint = _section(text, "101", "endpoint")
    assert "context=orpheus-internal\n" in endpoint and "auth=101\naors=101\n" in endpoint
    assert 'callerid="Front Desk" <101>\n' in endpoint
    assert "rtp_symmetric" not in endpoint
    remote = _section(text, "102", "endpoint")
    assert "callerid=102\n" in remote
    assert "rtp_symmetric=yes\nforce_rport=yes\nrewrite_contact=yes\n" in remote
    assert _section(text, "101", "auth") == (
        "[101]\ntype=auth\nauth_type=userpass\nusername=101\npassword=pw101pw101\n"
    )
    assert _section(text, "102", "aor") == "[102]\ntype=aor\nmax_contacts=1\nremove_existing=yes\n"


def test_a_trunk_is_an_endpoint_an_aor_an_identify_and_its_auth_if_any() -> None:
    config = _config(trunk={
        "t1": {"name": "t1", "host": "sip.example.net", "port": 5080, "codecs": ["g722", "ulaw"],
               "username": "acct", "password": "trunk-pw1"},
        "t2": {"name": "t2", "host": "10.0.0.9"},
    })  # fmt: skip
    text = render_pjsip(config)
    name = trunk_endpoint("t1")
    assert name == "orpheus-trunk-t1"
    endpoint = _section(text, name, "endpoint")
    assert "context=orpheus-from-t1\n" in endpoint and "allow=g722,ulaw\n" in endpoint
    assert f"outbound_auth={name}\nfrom_user=acct\n" in endpoint
    assert _section(text, name, "aor") == f"[{name}]\ntype=aor\ncontact=sip:sip.example.net:5080\n"
    assert _section(text, name, "identify") == (
        f"[{name}]\ntype=identify\nendpoint={name}\nmatch=sip.example.net\n"
    )
    assert "username=acct\npassword=trunk-pw1\n" in _section(text, name, "auth")
    plain = trunk_endpoint("t2")
    assert "outbound_auth" not in _section(text, plain, "endpoint")
    assert f"[{plain}]\ntype=auth" not in text


def test_the_dialplan_routes_extensions_queues_ivr_trunks_and_balancers() -> None:
    config = _config(
        extension={"101": {"number": "101", "password": "pw101pw101"}},
        trunk={"t1": {"name": "t1", "host": "h1", "prefix": "9", "inbound": "101"},
               "t2": {"name": "t2", "host": "h2"}},
        queue={"sales": {"name": "sales", "number": "600", "members": ["101"]}},
        ivr={"main": {"name": "main", "number": "700",
                      "options": {"1": "extension:101", "2": "queue:sales", "3": "ivr:sub"}},
             "sub": {"name": "sub", "parent": "main", "number": "701", "prompt": "custom/sub"}},
        balancer={"out": {"name": "out", "trunks": ["t2", "t1"], "prefix": "0"}},
    )  # fmt: skip
    text = render_dialplan(config, CallLimit(25, False), 3)
    targets = text[text.index("[orpheus-targets]") : text.index("[orpheus-internal]")]
    assert "exten => 101,1,NoOp(extension 101)\n same => n,Dial(PJSIP/101,30)\n" in targets
    assert "exten => 600,1,NoOp(queue sales)\n same => n,Queue(sales)\n" in targets
    assert "exten => 700,1,Goto(orpheus-ivr-main,s,1)\n" in targets
    assert "701" not in targets  # a submenu is reached through its parent only
    internal = text[text.index("[orpheus-internal]") : text.index("[orpheus-from-t1]")]
    assert "exten => _9X.,1,NoOp(outbound via t1)\n" in internal
    assert " same => n,Dial(PJSIP/${EXTEN:1}@orpheus-trunk-t1,60)\n" in internal
    failover = internal[internal.index("exten => _0X.") :]
    assert failover.index("@orpheus-trunk-t2,60)") < failover.index("@orpheus-trunk-t1,60)")
    assert "[orpheus-from-t1]\n" in text and " same => n,Goto(orpheus-targets,101,1)\n" in text
    from_t2 = text[text.index("[orpheus-from-t2]") :]
    assert from_t2.split("\n\n")[0].endswith(" same => n,Hangup(1)")  # no inbound target
    main = text[text.index("[orpheus-ivr-main]") : text.index("[orpheus-ivr-sub]")]
    assert "exten => 1,1,Goto(orpheus-targets,101,1)\n" in main
    assert "exten => 2,1,Goto(orpheus-targets,600,1)\n" in main  # a queue by its number
    assert "exten => 3,1,Goto(orpheus-ivr-sub,s,1)\n" in main
    assert " same => n,Background(custom/sub)\n" in text[text.index("[orpheus-ivr-sub]") :]
    assert "MixMonitor" not in text


def test_recording_records_every_target_and_outbound_call() -> None:
    config = _config(
        extension={"101": {"number": "101", "password": "pw101pw101"}},
        trunk={"t1": {"name": "t1", "host": "h1", "prefix": "9"}},
    )
    config["recording"] = {"recording": {"enabled": True}}
    text = render_dialplan(config, CallLimit(25, False), 1)
    assert text.count("MixMonitor(") == 2


def test_queues_and_manager() -> None:
    config = _config(queue={
        "sales": {"name": "sales", "number": "600", "members": ["101", "102"],
                  "strategy": "rrmemory"},
    })  # fmt: skip
    queues = render_queues(config)
    assert queues.startswith(HEADER)
    assert "[general]\npersistentmembers=no\nshared_lastcall=yes\n" in queues
    assert "[sales]\nstrategy=rrmemory\ntimeout=15\nmember => PJSIP/101\nmember => PJSIP/102\n" in (
        queues
    )


def test_render_all_names_every_file() -> None:
    files = render_all(_config(), CallLimit(10, False), 9)
    assert set(files) == {PJSIP_FILE, DIALPLAN_FILE, QUEUES_FILE}  # manager.conf: ami_users
    assert files[PJSIP_FILE] == HEADER + "\n"
    assert "ORPHEUS_CONFIG_SERIAL=9" in files[DIALPLAN_FILE]
