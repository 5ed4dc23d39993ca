from __future__ import annotations

import ipaddress
import json

from orpheus.config import AgentConfig
from orpheus.firewall import ruleset
from orpheus.firewall.lists import DEFAULTS, AccessLists, parse_lists
from orpheus.firewall.services import services

SERVICES = services(AgentConfig(http_port=8080))


def _only(allow: dict[str, object]) -> AccessLists:
    """The lists of allow alone: the services with a default open."""
    return parse_lists({"allow": {**dict.fromkeys(DEFAULTS), **allow}}, SERVICES)


def _rules(commands: list[ruleset.Command]) -> list[list[object]]:
    return [c["add"]["rule"]["expr"] for c in commands if "rule" in c.get("add", {})]


def test_open_lists_render_no_service_rule() -> None:
    commands = ruleset.render(AccessLists(), SERVICES)
    rules = _rules(commands)
    # loopback accept, two block-set drops, established accept: nothing per service
    assert len(rules) == 4
    assert rules[0][-1] == {"accept": None}
    assert {"drop": None} in rules[1] and "@blocked_v4" in json.dumps(rules[1])


def test_a_restricted_service_accepts_its_sets_and_drops_the_rest() -> None:
    lists = _only({"admin": ["10.0.0.0/8", "2001:db8::/32"]})
    commands = ruleset.render(lists, SERVICES)
    rules = _rules(commands)[4:]
    assert len(rules) == 3  # v4 accept, v6 accept, drop; on tcp/8080
    assert all('"dport"' in json.dumps(rule) and "8080" in json.dumps(rule) for rule in rules)
    assert "@admin_v4" in json.dumps(rules[0]) and "@admin_v6" in json.dumps(rules[1])
    assert rules[2][-1] == {"drop": None}
    elements = [c["add"]["element"] for c in commands if "element" in c.get("add", {})]
    assert {"name": "admin_v4", "elem": [{"prefix": {"addr": "10.0.0.0", "len": 8}}]}.items() <= {
        k: v for k, v in elements[0].items() if k in ("name", "elem")
    }.items()


def test_block_sets_are_added_never_flushed() -> None:
    commands = ruleset.render(AccessLists(), SERVICES)
    flushed = [c["flush"] for c in commands if "flush" in c]
    names = [f["set"]["name"] for f in flushed if "set" in f]
    assert "blocked_v4" not in names and "blocked_v6" not in names
    assert "admin_v4" in names


def test_vrrp_of_the_ha_peer_matches_the_protocol() -> None:
    lists = parse_lists({"allow": {"ha": ["192.0.2.2"]}}, SERVICES)
    text = json.dumps(_rules(ruleset.render(lists, SERVICES)))
    assert '"l4proto"' in text and "112" in text and "7443" in text


def test_block_carries_its_timeout() -> None:
    (command,) = ruleset.block(ipaddress.ip_address("2001:db8::5"), 7200)
    assert command["add"]["element"]["name"] == "blocked_v6"
    assert command["add"]["element"]["elem"] == [{"elem": {"val": "2001:db8::5", "timeout": 7200}}]


def test_blocked_entries_read_list_set_answers() -> None:
    timed = {"elem": {"val": "203.0.113.5", "timeout": 3600, "expires": 3599}}
    answer = {"nftables": [{"metainfo": {}}, {"set": {"elem": [timed, "203.0.113.6"]}}]}
    assert ruleset.blocked_entries(answer) == [
        (ipaddress.ip_address("203.0.113.5"), 3599),
        (ipaddress.ip_address("203.0.113.6"), None),
    ]
