"""The vendor tool: keygen, issue, verify (orpheus.licensing.vendor)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orpheus.licensing import vendor


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
