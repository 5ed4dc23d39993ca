"""manager.conf: the agent's account local-only, each third party's behind its own ACL, and
AMI bound to 127.0.0.1 unless an account permits an address outside 127.0.0.0/8."""

from __future__ import annotations

import dataclasses

import pytest

from orpheus.ami_users.accounts import account
from orpheus.ami_users.manager_conf import bind_address, render
from orpheus.asterisk.adapter import ManagerLogin
from orpheus.config_text import UnsafeValue
from orpheus.pbx.render import HEADER

AGENT = ManagerLogin(5039, "orpheus", "s3cret")


def test_the_agents_account_alone_listens_on_loopback() -> None:
    text = render(AGENT, [])
    assert text.startswith(HEADER)
    assert "[general]\nenabled=yes\nport=5039\nbindaddr=127.0.0.1\n" in text
    assert "[orpheus]\nsecret=s3cret\ndeny=0.0.0.0/0.0.0.0\npermit=127.0.0.1/255.255.255.255\n" in (
        text
    )


def test_third_party_sections_and_where_ami_listens() -> None:
    local = account("local", "k1", ["127.0.0.1"], ["call"], ["reporting"])
    lan = account("lan", "k2", ["192.0.2.0/24", "198.51.100.0/25"], ["call", "cdr"], [])
    assert bind_address([local]) == "127.0.0.1"
    assert bind_address([local, lan]) == "0.0.0.0"
    text = render(AGENT, [local, lan])
    assert "bindaddr=0.0.0.0\n" in text
    assert (
        "[lan]\nsecret=k2\ndeny=0.0.0.0/0.0.0.0\npermit=192.0.2.0/255.255.255.0\n"
        "permit=198.51.100.0/255.255.255.128\nread=call,cdr\nwrite=\n"
    ) in text
    assert "[local]\nsecret=k1\ndeny=0.0.0.0/0.0.0.0\npermit=127.0.0.1/255.255.255.255\n" in text


def test_the_renderer_refuses_what_the_checks_would_have_refused() -> None:
    good = account("crm", "k", ["192.0.2.0/24"], [], [])
    for bad in (dataclasses.replace(good, name="[evil]"), dataclasses.replace(good, secret="a\nb")):
        with pytest.raises(UnsafeValue):
            render(AGENT, [bad])
