"""KeepalivedProcess's stop: the agent's own keepalived is reaped, not left a zombie (it was,
after `ha unpair`, until the agent restarted). A stand-in program plays keepalived: it writes
its pid file as keepalived does and waits for SIGTERM."""

from __future__ import annotations

import sys
from pathlib import Path

from orpheus.ha.keepalived import KeepalivedPaths, KeepalivedProcess
from testbed.polling import wait_for

STAND_IN = (
    "import os, signal, sys, time\n"
    "args = sys.argv[1:]\n"
    "open(args[args.index('--pid') + 1], 'w').write(f'{os.getpid()}\\n')\n"
    "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
    "time.sleep(60)\n"
)


def test_stop_reaps_its_keepalived(tmp_path: Path) -> None:
    paths = KeepalivedPaths(Path("/"), tmp_path / "run", Path("/usr/lib/orpheus/ha"))
    paths.run_dir.mkdir()
    process = KeepalivedProcess(
        (sys.executable, "-c", STAND_IN), paths, tmp_path / "log/keepalived.log"
    )
    process.ensure_running(config_changed=False)
    pid = wait_for("the stand-in's pid file", process.pid)
    process.stop()
    assert not Path(f"/proc/{pid}").exists(), "keepalived left behind (a zombie) after stop"
    assert process.pid() is None
