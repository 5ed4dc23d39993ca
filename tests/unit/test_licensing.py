"""Licences, the tier table, the limits policy and the rendering, without Asterisk."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from orpheus.licensing import vendor
from orpheus.licensing.active import Licensing
from orpheus.licensing.document import LicenseError, parse_payload
from orpheus.licensing.tiers import TIERS
from orpheus.pbx import policy
from orpheus.pbx.records import RecordError, kind_of, normalise
from orpheus.pbx.render import CallLimit, render_dialplan
from testbed.pbx_unit import VendorKey, fake_sysfs


def _licensing(tmp_path: Path, key: VendorKey, uuid: str = "uuid-a") -> Licensing:
    sysfs = fake_sysfs(tmp_path / f"sys-{uuid}", product_uuid=uuid)
    return Licensing(tmp_path / "state", sysfs, tmp_path, key.public_pem, "mini")


@pytest.fixture
def key(tmp_path: Path) -> VendorKey:
    return VendorKey(tmp_path / "vendor")


def test_unit_without_licence_runs_at_its_board_base_tier(tmp_path: Path, key: VendorKey) -> None:
    licensing = _licensing(tmp_path, key)
    assert licensing.entitlement.tier == "mini"
    assert licensing.refusal("high_availability") == (
        "high availability is not included in the Mini tier; "
        "a Lite licence (the Mini-to-Lite upgrade) lifts it"
    )
    assert "Call Center add-on" in (licensing.refusal("callcenter") or "")
    licensing.write_identity("ORP-1", "mini", datetime.date(2026, 1, 10), force=False)
    assert licensing.update_support_until() == datetime.date(2027, 1, 10)


def test_licence_lifts_limits_and_moving_the_disk_drops_them(
    tmp_path: Path, key: VendorKey
) -> None:
    licensing = _licensing(tmp_path, key)
    licensing.write_identity("ORP-1", "mini", None, force=False)
    document = key.licence("ORP-1", "lite", fingerprint=licensing.hardware.fingerprint,
                           addons=["callcenter"])  # fmt: skip
    licensing.install(json.dumps(document).encode())
    assert licensing.entitlement.tier == "lite"
    assert licensing.refusal("high_availability") is None
    assert licensing.refusal("callcenter") is None
    assert licensing.update_support_until() == datetime.date.fromisoformat(
        str(document["payload"]["update_support_until"])  # type: ignore[index]
    )
    # The same data partition in other hardware: base tier, an alarm, limits never lifted.
    moved = _licensing(tmp_path, key, uuid="uuid-b")
    assert moved.entitlement.tier == "mini"
    assert "other hardware" in (moved.entitlement.alarm or "")
    assert moved.refusal("high_availability") is not None


def test_payload_checks() -> None:
    base = {"license_id": "L1", "serial": "S", "addons": [], "issued": "2026-01-01",
            "update_support_until": "2027-01-01"}  # fmt: skip
    assert parse_payload({**base, "tier": "vm", "channels": 5}).channels == 5
    with pytest.raises(LicenseError, match="at least 5 channels"):
        parse_payload({**base, "tier": "vm", "channels": 3})
    with pytest.raises(LicenseError, match="cannot take the add-on 'phone'"):
        parse_payload({**base, "tier": "mini", "addons": ["phone"]})
    with pytest.raises(LicenseError, match="unknown"):
        parse_payload({**base, "tier": "lite", "extra": 1})


def test_limit_refusal_names_the_limit_and_the_licence(tmp_path: Path, key: VendorKey) -> None:
    entitlement = _licensing(tmp_path, key).entitlement
    extension = kind_of("extension")
    config = {"extension": {str(n): normalise(extension, {"number": str(n), "password": "x" * 8})
                            for n in range(100, 112)}}  # fmt: skip
    before = policy.usage(config)
    bigger = {"extension": {**config["extension"], "113": {**config["extension"]["100"]}}}
    message = policy.refusal(before, policy.usage(bigger), entitlement)
    assert message == (
        "refused: the Mini tier allows 12 extensions (this change makes 13); "
        "a Lite licence (the Mini-to-Lite upgrade) lifts it"
    )
    # Shrinking a configuration beyond the limit (after a fallback) is always allowed.
    assert policy.refusal(policy.usage(bigger), before, entitlement) is None


def test_ivr_cycles_and_bad_records_are_refused() -> None:
    ivr = kind_of("ivr")
    menus = {"a": normalise(ivr, {"name": "a", "parent": "b"}),
             "b": normalise(ivr, {"name": "b", "parent": "a"})}  # fmt: skip
    with pytest.raises(RecordError, match="cycle"):
        policy.ivr_depths(menus)
    with pytest.raises(RecordError, match="password"):
        normalise(kind_of("extension"), {"number": "101", "password": "short"})
    with pytest.raises(RecordError, match="bad value"):
        normalise(kind_of("extension"), {"number": "1x1", "password": "longenough"})


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


def test_vendor_tool_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert vendor.main(["keygen", "--out-dir", str(tmp_path)]) == 0
    key = tmp_path / vendor.PRIVATE_NAME
    out = tmp_path / "lic.json"
    assert vendor.main(["issue", "--key", str(key), "--serial", "ORP-7", "--tier", "vm",
                        "--channels", "8", "--output", str(out)]) == 0  # fmt: skip
    public = str(tmp_path / vendor.PUBLIC_NAME)
    assert vendor.main(["verify", "--public-key", public, str(out)]) == 0
    document = json.loads(out.read_text())
    document["payload"]["channels"] = 80
    out.write_text(json.dumps(document))
    assert vendor.main(["verify", "--public-key", public, str(out)]) == 1
    assert "signature does not match" in capsys.readouterr().err
    assert vendor.main(["issue", "--key", str(key), "--serial", "S", "--tier", "vm",
                        "--channels", "3"]) == 1  # fmt: skip
    assert vendor.main(["keygen", "--out-dir", str(tmp_path)]) == 1  # never replaces a key
