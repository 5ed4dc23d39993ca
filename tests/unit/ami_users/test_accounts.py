"""AMI accounts: names, networks and classes checked by full match, before any file."""

from __future__ import annotations

import ipaddress

import pytest

from orpheus.ami_users.accounts import READ_CLASSES, WRITE_CLASSES, AccountError, account


def test_a_good_account_is_normalised() -> None:
    made = account("crm", "s", ["192.0.2.0/24", "198.51.100.7", "192.0.2.0/24"],
                   ["call", "call"], ["reporting"])  # fmt: skip
    assert made.permit == (ipaddress.IPv4Network("192.0.2.0/24"),
                           ipaddress.IPv4Network("198.51.100.7/32"))  # fmt: skip
    assert (made.read, made.write) == (("call",), ("reporting",))
    assert made.public() == {"name": "crm", "permit": ["192.0.2.0/24", "198.51.100.7/32"],
                             "read": ["call"], "write": ["reporting"]}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "permit", "read", "write", "words"),
    [
        ("crm\n", ["192.0.2.0/24"], [], [], "name"),
        ("[crm]", ["192.0.2.0/24"], [], [], "name"),
        ("crm;x", ["192.0.2.0/24"], [], [], "name"),
        ("Crm", ["192.0.2.0/24"], [], [], "name"),
        ("orpheus", ["192.0.2.0/24"], [], [], "reserved"),
        ("general", ["192.0.2.0/24"], [], [], "reserved"),
        ("crm", ["192.0.2.0/24\n"], [], [], "network"),
        ("crm", ["192.0.2.0/24;"], [], [], "network"),
        ("crm", ["192.0.2.1/24"], [], [], "host bits"),
        ("crm", ["192.0.2.0/33"], [], [], "network"),
        ("crm", ["0.0.0.0/0"], [], [], "every address"),
        ("crm", ["2001:db8::/32"], [], [], "IPv4"),
        ("crm", [], [], [], "at least one"),
        ("crm", ["192.0.2.0/24"], ["call\n"], [], "read class"),
        ("crm", ["192.0.2.0/24"], ["all"], [], "read class"),
        ("crm", ["192.0.2.0/24"], [], ["system"], "write class"),
        ("crm", ["192.0.2.0/24"], [], ["command"], "write class"),
        ("crm", ["192.0.2.0/24"], [], ["config"], "write class"),
        ("crm", ["192.0.2.0/24"], [], ["agi"], "write class"),
    ],
)
def test_refused(name: str, permit: list[str], read: list[str], write: list[str],
                 words: str) -> None:  # fmt: skip
    with pytest.raises(AccountError, match=words) as refused:
        account(name, "s", permit, read, write)
    assert "\n" not in str(refused.value).replace("\\n", "")


def test_no_class_that_changes_what_the_agent_owns_is_granted() -> None:
    assert not {"system", "command", "config", "agi", "all"} & set(WRITE_CLASSES)
    assert "all" not in READ_CLASSES
