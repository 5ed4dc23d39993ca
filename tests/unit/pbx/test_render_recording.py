"""Recorded calls go to the RAM spool the agent encrypts from, named with their direction."""

from __future__ import annotations

from orpheus.pbx.render import CallLimit, render_dialplan
from orpheus.recordings.names import ASTERISK_SPOOL
from tests.unit.pbx.test_render import _config


def test_recording_writes_raw_audio_into_the_ram_spool_with_the_direction() -> None:
    config = _config(
        extension={"101": {"number": "101", "password": "pw101pw101"}},
        trunk={"t1": {"name": "t1", "host": "h1", "prefix": "9", "inbound": "101"}},
    )
    config["recording"] = {"recording": {"enabled": True}}
    text = render_dialplan(config, CallLimit(25, False), 1)
    targets = text[text.index("[orpheus-targets]") : text.index("[orpheus-internal]")]
    assert f"MixMonitor({ASTERISK_SPOOL}/${{EPOCH}}_${{UNIQUEID}}_" in targets
    assert '${IF($["${ORPHEUS_DIRECTION}" = "inbound"]?inbound:internal)}' in targets
    internal = text[text.index("[orpheus-internal]") : text.index("[orpheus-from-t1]")]
    assert "_outbound_" in internal and ".sln,b)" in internal
    inbound = text[text.index("[orpheus-from-t1]") :]
    assert "exten => s,1,Set(ORPHEUS_DIRECTION=inbound)" in inbound
    assert "MixMonitor" not in render_dialplan(_config(), CallLimit(25, False), 1)
