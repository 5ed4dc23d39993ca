"""manager.conf: AMI's settings, the agent's own account and the third parties' accounts.

The agent's account (pbx's AMI_USER, with the per-unit secret) is permitted from 127.0.0.1
only; it reads the security events too (failed SIP authentications: orpheus.firewall) and the
call detail records (cdr_manager's `Cdr` events: orpheus.cdr). Each
third-party account denies every address and then permits its own networks. AMI
listens on 127.0.0.1 while no third-party account permits an address outside 127.0.0.0/8,
and on every IPv4 address (0.0.0.0) once one does: the accounts' ACLs, not the bind address,
decide who may log in, and an address picked from today's interfaces would go stale when the
network settings or an HA VIP move. The file is node-local (never synced by HA).
"""

from __future__ import annotations

from collections.abc import Sequence

from orpheus.ami_users.accounts import LOOPBACK, AmiAccount
from orpheus.asterisk.adapter import ManagerLogin
from orpheus.config_text import check_name, check_value
from orpheus.pbx.render import HEADER

LOCAL_ONLY = "127.0.0.1"
EVERY_ADDRESS = "0.0.0.0"  # only with a third-party account: its ACL decides


def bind_address(accounts: Sequence[AmiAccount]) -> str:
    networks = [network for account in accounts for network in account.permit]
    return LOCAL_ONLY if all(n.subnet_of(LOOPBACK) for n in networks) else EVERY_ADDRESS


def _account_section(account: AmiAccount) -> str:
    permits = "".join(f"permit={network.with_netmask}\n" for network in account.permit)
    return (
        f"[{account.name}]\nsecret={account.secret}\ndeny=0.0.0.0/0.0.0.0\n{permits}"
        f"read={','.join(account.read)}\nwrite={','.join(account.write)}\n"
    )


def render(agent: ManagerLogin, accounts: Sequence[AmiAccount]) -> str:
    """The whole file; a value that could change its structure raises UnsafeValue."""
    check_value(agent.secret, "AMI secret")
    for account in accounts:
        check_name(account.name, f"AMI user {account.name!r}")
        check_value(account.stored(), f"AMI user {account.name!r}")
    sections = [
        f"[general]\nenabled=yes\nport={agent.port}\nbindaddr={bind_address(accounts)}\n"
        "displayconnects=no\n",
        f"[{agent.user}]\nsecret={agent.secret}\ndeny=0.0.0.0/0.0.0.0\n"
        "permit=127.0.0.1/255.255.255.255\n"
        "read=system,call,command,reporting,agent,security,cdr\n"
        "write=system,call,command,reporting,originate,agent\n",
    ]
    sections += [_account_section(account) for account in accounts]
    return HEADER + "\n" + "\n".join(sections)
