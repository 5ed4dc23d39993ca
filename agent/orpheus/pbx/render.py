"""Asterisk configuration text from the (licence-clipped) PBX configuration.

Files rendered, relative to Asterisk's configuration directory:
- pjsip.d/orpheus.conf: one endpoint/auth/aor per extension; endpoint/aor/identify per trunk;
  the TLS transport (pbx/sip_security.py), whose certificate and key go to pjsip-tls/.
- extensions.conf: the whole dialplan, including the concurrent-call limit (orpheus-limit).
- queues.conf.
manager.conf, with the agent's AMI account (AMI_USER), is orpheus.ami_users's.

The concurrent-call limit lives in the dialplan (GROUP and GROUP_COUNT): every counted call
joins the group `calls@orpheus` on entry and is answered 503 (cause 34, before any answer)
when the group is then over the limit. It holds while the agent is stopped, applies to new
calls at the next `dialplan reload` without touching calls in progress, and can count only
calls through trunks (the vm tier), which asterisk.conf's `maxcalls` (all channels, both legs
of a call, read only at start-up) cannot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from orpheus.config_text import check_name, check_value
from orpheus.pbx.call_classes import check_context, class_contexts, class_globals
from orpheus.pbx.records import Record
from orpheus.pbx.sip_security import (
    SipTls,
    caller_check_line,
    contact_parameters,
    dial_options,
    endpoint_lines,
    requires_secure,
    secure_contexts,
    secure_globals,
    transport_section,
)
from orpheus.pbx.store import Config
from orpheus.recordings.names import mixmonitor

HEADER = "; Rendered by the Orpheus agent from its configuration store: edits here are lost.\n"
PJSIP_FILE = "pjsip.d/orpheus.conf"
DIALPLAN_FILE = "extensions.conf"
QUEUES_FILE = "queues.conf"
MANAGER_FILE = "manager.conf"  # rendered by orpheus.ami_users, node-local
CALL_GROUP = "calls@orpheus"
AMI_USER = "orpheus"
# Recordings go to the RAM spool the agent encrypts from (recordings/spool.py), named with
# the call's direction and parties; calls from a trunk set ORPHEUS_DIRECTION on the way in.
TARGET_RECORDING = mixmonitor('${IF($["${ORPHEUS_DIRECTION}" = "inbound"]?inbound:internal)}',
                              "${EXTEN}")  # fmt: skip
OUTBOUND_RECORDING = mixmonitor("outbound", "${EXTEN}")


@dataclass(frozen=True)
class CallLimit:
    max_calls: int
    external_only: bool


def trunk_endpoint(name: str) -> str:
    return f"orpheus-trunk-{name}"


def _extension_sections(extension: Record) -> Iterator[str]:
    number = extension["number"]
    nat = "rtp_symmetric=yes\nforce_rport=yes\nrewrite_contact=yes\n" if extension["remote"] else ""
    callerid = f'"{extension["name"]}" <{number}>' if extension["name"] else number
    yield (
        f"[{number}]\ntype=endpoint\ncontext=orpheus-internal\ndisallow=all\nallow=ulaw,alaw\n"
        f"auth={number}\naors={number}\ncallerid={callerid}\ndirect_media=no\n{nat}"
        + endpoint_lines(extension, required=requires_secure(extension))
    )
    yield (
        f"[{number}]\ntype=auth\nauth_type=userpass\nusername={number}\n"
        f"password={extension['password']}\n"
    )
    yield f"[{number}]\ntype=aor\nmax_contacts=1\nremove_existing=yes\n"


def _trunk_sections(trunk: Record) -> Iterator[str]:
    name = trunk_endpoint(trunk["name"])
    auth = f"outbound_auth={name}\nfrom_user={trunk['username']}\n" if trunk["username"] else ""
    yield (
        f"[{name}]\ntype=endpoint\ncontext=orpheus-from-{trunk['name']}\ndisallow=all\n"
        f"allow={','.join(trunk['codecs'])}\naors={name}\ndirect_media=no\n{auth}"
        + endpoint_lines(trunk)
    )
    contact = f"sip:{trunk['host']}:{trunk['port']}{contact_parameters(trunk)}"
    yield f"[{name}]\ntype=aor\ncontact={contact}\n"
    yield f"[{name}]\ntype=identify\nendpoint={name}\nmatch={trunk['host']}\n"
    if trunk["username"]:
        yield (
            f"[{name}]\ntype=auth\nauth_type=userpass\nusername={trunk['username']}\n"
            f"password={trunk['password']}\n"
        )


def render_pjsip(config: Config, tls: SipTls | None = None) -> str:
    sections: list[str] = [transport_section(tls)] if tls is not None else []
    for extension in config["extension"].values():
        sections.extend(_extension_sections(extension))
    for trunk in config["trunk"].values():
        sections.extend(_trunk_sections(trunk))
    return HEADER + "\n" + "\n".join(sections)


def _limit_context(limit: CallLimit) -> str:
    return (
        "[orpheus-limit]\n"
        f"; The licence's concurrent-call limit ({limit.max_calls}"
        f"{', calls through trunks only' if limit.external_only else ''}).\n"
        f"exten => s,1,Set(GROUP(orpheus)=calls)\n"
        f" same => n,GotoIf($[${{GROUP_COUNT({CALL_GROUP})}} > ${{ORPHEUS_MAX_CALLS}}]?full)\n"
        " same => n,Return()\n"
        " same => n(full),Log(NOTICE,Orpheus: call refused: ${ORPHEUS_MAX_CALLS} concurrent "
        "calls is the licence's limit)\n"
        " same => n,Hangup(34)\n"
    )


def _target_lines(config: Config, recording: bool) -> Iterator[str]:
    record = f" same => n,{TARGET_RECORDING}\n" if recording else ""
    for number in config["extension"]:
        # an insecure call is refused before anything else (a recording is not even started)
        yield f"exten => {number},1,NoOp(extension {number})\n"
        yield caller_check_line(config, number) + record
        options = dial_options(config, number)
        yield f" same => n,Dial(PJSIP/{number},30{',' + options if options else ''})\n"
        yield " same => n,Hangup()\n"
    for queue in config["queue"].values():
        yield f"exten => {queue['number']},1,NoOp(queue {queue['name']})\n{record}"
        yield f" same => n,Queue({queue['name']})\n same => n,Hangup()\n"
    for menu in config["ivr"].values():
        if menu["number"] and not menu["parent"]:
            yield f"exten => {menu['number']},1,Goto(orpheus-ivr-{menu['name']},s,1)\n"


def outbound_routes(config: Config) -> list[tuple[str, list[str]]]:
    """(prefix, trunks tried in order) of each outbound route: `_<prefix>X.` in
    orpheus-internal, the prefix cut off before the number goes to the trunk."""
    routes: list[tuple[str, list[str]]] = [
        (t["prefix"], [t["name"]]) for t in config["trunk"].values() if t["prefix"]
    ]
    routes += [(b["prefix"], list(b["trunks"])) for b in config["balancer"].values()]
    return routes


def _outbound_lines(config: Config, recording: bool) -> Iterator[str]:
    for prefix, trunks in outbound_routes(config):
        yield f"exten => _{prefix}X.,1,NoOp(outbound via {', '.join(trunks)})\n"
        # the caller's call class, before any trunk is tried (call_classes.py)
        yield f" same => n,Set(ORPHEUS_DIALLED=${{EXTEN:{len(prefix)}}})\n"
        yield " same => n,Gosub(orpheus-class-check,s,1)\n"
        yield caller_check_line(config)
        yield " same => n,Gosub(orpheus-limit,s,1)\n"  # calls through trunks always count
        if recording:
            yield f" same => n,{OUTBOUND_RECORDING}\n"
        for trunk in trunks:  # failover: the next trunk when one does not answer
            yield f" same => n,Dial(PJSIP/${{EXTEN:{len(prefix)}}}@{trunk_endpoint(trunk)},60)\n"
        yield " same => n,Hangup()\n"


def _inbound_context(trunk: Record) -> str:
    target = (
        f" same => n,Goto(orpheus-targets,{trunk['inbound']},1)\n"
        if trunk["inbound"]
        else " same => n,Hangup(1)\n"
    )
    return (
        f"[orpheus-from-{trunk['name']}]\n"
        "exten => _[+0-9*#a-zA-Z]!,1,Goto(s,1)\n"
        "exten => s,1,Set(ORPHEUS_DIRECTION=inbound)\n"
        " same => n,Gosub(orpheus-limit,s,1)\n" + target
    )


def _ivr_destination(config: Config, target: str) -> str:
    kind, _, name = target.partition(":")
    if kind == "ivr":
        return f"orpheus-ivr-{name},s,1"
    if kind == "queue" and name in config["queue"]:
        return f"orpheus-targets,{config['queue'][name]['number']},1"
    return f"orpheus-targets,{name},1"


def _ivr_context(config: Config, menu: Record) -> str:
    lines = [
        f"[orpheus-ivr-{menu['name']}]\n",
        "exten => s,1,Answer()\n",
        f" same => n,Background({menu['prompt']})\n",
        " same => n,WaitExten(5)\n",
    ]
    for digit, target in sorted(menu["options"].items()):
        lines.append(f"exten => {digit},1,Goto({_ivr_destination(config, target)})\n")
    lines += ["exten => i,1,Goto(s,1)\n", "exten => t,1,Hangup()\n"]
    return "".join(lines)


def render_dialplan(config: Config, limit: CallLimit, serial: int) -> str:
    recording = bool(config["recording"]["recording"].get("enabled"))
    entry = "" if limit.external_only else " same => n,Gosub(orpheus-limit,s,1)\n"
    parts = [
        HEADER,
        "[general]\nstatic=yes\nwriteprotect=yes\nclearglobalvars=yes\n",
        f"[globals]\nORPHEUS_CONFIG_SERIAL={serial}\nORPHEUS_MAX_CALLS={limit.max_calls}\n"
        + class_globals(config)
        + secure_globals(config),
        _limit_context(limit),
        check_context(),
        *class_contexts(config),
        *secure_contexts(config),
        "[orpheus-targets]\n" + "".join(_target_lines(config, recording)),
        "[orpheus-internal]\n"
        + "".join(_outbound_lines(config, recording))
        + f"exten => _X.,1,NoOp(internal call to ${{EXTEN}})\n{entry}"
        + caller_check_line(config)
        + " same => n,GotoIf(${DIALPLAN_EXISTS(orpheus-targets,${EXTEN},1)}"
        "?orpheus-targets,${EXTEN},1)\n"
        " same => n,Hangup(1)\n",
    ]
    parts += [_inbound_context(trunk) for trunk in config["trunk"].values()]
    parts += [_ivr_context(config, menu) for menu in config["ivr"].values()]
    return "\n".join(parts)


def render_queues(config: Config) -> str:
    sections = ["[general]\npersistentmembers=no\nshared_lastcall=yes\n"]
    for queue in config["queue"].values():
        members = "".join(f"member => PJSIP/{m}\n" for m in queue["members"])
        sections.append(f"[{queue['name']}]\nstrategy={queue['strategy']}\ntimeout=15\n{members}")
    return HEADER + "\n" + "\n".join(sections)


def check_config(config: Config) -> None:
    """Every value of every record, before any is rendered (config_text.UnsafeValue)."""
    for kind, records in config.items():
        for key, record in records.items():
            check_name(str(key), f"{kind} {key!r}")
            check_value(record, f"{kind} {key!r}")


def render_all(
    config: Config, limit: CallLimit, serial: int, tls: SipTls | None = None
) -> dict[str, str]:
    """tls: the unit's certificate and key for the TLS transport; None renders none."""
    check_config(config)
    return {
        PJSIP_FILE: render_pjsip(config, tls),
        DIALPLAN_FILE: render_dialplan(config, limit, serial),
        QUEUES_FILE: render_queues(config),
        **(tls.files() if tls is not None else {}),
    }
