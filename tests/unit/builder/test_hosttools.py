"""Host tools (builder/hosttools.py)."""

from __future__ import annotations

import pytest

from builder import hosttools
from builder.errors import BuildError


@pytest.mark.host_tools  # apt-get install
def test_missing_tool_that_cannot_be_installed() -> None:
    with pytest.raises(BuildError, match=r"missing host tool\(s\) orpheus-no-such-tool"):
        hosttools.ensure({"orpheus-no-such-tool": "orpheus-no-such-package"})
