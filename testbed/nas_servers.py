"""Real NAS servers on the host's loopback, for a guest that mounts them through QEMU's user
networking (it reaches the host's 127.0.0.1 as 10.0.2.2, and its connections arrive from
127.0.0.1 on ephemeral ports): Debian's smbd for an SMB share, nfs-ganesha (userspace, VFS
FSAL) for an NFSv4 export. The host kernel needs neither an NFS nor a CIFS server or client.

Each runs as root in the foreground, bound to 127.0.0.1 alone on a free TCP port, with every
file of its own (configuration, passdb, locks, state, pid, logs, NFSv4 recovery) under the
given work directory: the host's /etc/samba, /var/lib/samba, /etc/ganesha and exports are
never read or written. rpcbind is not needed: ganesha logs that it cannot register NFS v4
with the portmapper and serves all the same (an NFSv4 client needs only the port).
ganesha 4.3 makes an empty /var/run/ganesha at start whatever -p says (its one trace
outside the work directory); it also logs, harmlessly, that it finds no system D-Bus.

    with samba_share(tmp_path / "smb") as share:   # share.port, share.directory
        ...  mount -t cifs //10.0.2.2/rec -o port=<share.port>,username=nobody,...
    with nfs_export(tmp_path / "nfs") as export:
        ...  mount -t nfs4 10.0.2.2:/rec -o port=<export.port>

smbd's users must be Unix accounts (smbpasswd -a refuses a name without one: "Failed to add
entry for user"): the share's user is an existing account, `nobody` by default; the share
forces user root, so the files written land as root whatever the account.
"""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
GUEST_HOST_ADDRESS = "10.0.2.2"  # the host's 127.0.0.1 seen from QEMU's user networking
SHARE_NAME = "rec"
EXPORT_PATH = "/rec"  # the NFSv4 pseudo path
SAMBA_USER = "nobody"  # an existing Unix account (smbpasswd needs one)
SAMBA_PASSWORD = "orpheus-nas-1"
START_SECONDS = 30.0
STOP_SECONDS = 20.0


@dataclass(frozen=True)
class SambaShare:
    host: str
    port: int
    share: str  # the share's name: //host/<share>
    directory: Path  # what the share serves (the files a client wrote)
    user: str
    password: str
    log: Path


@dataclass(frozen=True)
class NfsExport:
    host: str
    port: int
    export: str  # the NFSv4 pseudo path: host:<export>
    directory: Path
    log: Path

    def url(self, name: str = "") -> str:
        """libnfs's URL (nfs-ls, nfs-cp) of the export or of a file in it."""
        path = f"{self.export}/{name}" if name else self.export
        return f"nfs://{self.host}{path}?version=4&nfsport={self.port}"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not _accepts(port):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}):\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not listening on {HOST}:{port} in {START_SECONDS:.0f} s")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (smbd forks helpers), then SIGKILL."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sent)
        except ProcessLookupError:
            break
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            continue
    process.wait()
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a helper left behind in the group


@contextmanager
def _running(command: Sequence[str], port: int, log: Path, what: str) -> Iterator[None]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            list(command), stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_listening(process, port, log, what)
        yield
    finally:
        _stop(process)


def _directories(workdir: Path, *names: str) -> list[Path]:
    made = [workdir / name for name in names]
    for directory in made:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return made


def samba_conf(workdir: Path, port: int, directory: Path, user: str, *, read_only: bool) -> str:
    """A private smb.conf: loopback only, every state file under workdir, SMB2 and up."""
    lock, state, cache, private, pid, ncalrpc, binddns = _directories(
        workdir, "lock", "state", "cache", "private", "pid", "ncalrpc", "binddns"
    )
    return f"""[global]
    server role = standalone server
    smb ports = {port}
    interfaces = {HOST}
    bind interfaces only = yes
    disable netbios = yes
    lock directory = {lock}
    state directory = {state}
    cache directory = {cache}
    private dir = {private}
    pid directory = {pid}
    ncalrpc dir = {ncalrpc}
    binddns dir = {binddns}
    log file = {workdir}/log.%m
    passdb backend = tdbsam:{workdir}/passdb.tdb
    server min protocol = SMB2
    map to guest = never
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes

[{SHARE_NAME}]
    path = {directory}
    read only = {"yes" if read_only else "no"}
    valid users = {user}
    force user = root
"""


def _add_samba_user(conf: Path, user: str, password: str) -> None:
    subprocess.run(
        ["smbpasswd", "-c", str(conf), "-a", "-s", user],
        input=f"{password}\n{password}\n", text=True, capture_output=True, check=True,
    )  # fmt: skip


@contextmanager
def samba_share(
    workdir: Path,
    user: str = SAMBA_USER,
    password: str = SAMBA_PASSWORD,
    read_only: bool = False,
    port: int | None = None,
) -> Iterator[SambaShare]:
    """smbd serving //127.0.0.1/rec (port: the answer's) to `user` (an existing Unix
    account) with `password`; the files under the answer's directory. `port`: a given one
    (a server started again where its clients knew it), else a free one."""
    pwd.getpwnam(user)  # KeyError: smbpasswd would refuse a name with no Unix account
    workdir.mkdir(parents=True, exist_ok=True)
    (directory,) = _directories(workdir, "share")
    directory.chmod(0o755)
    port = port or free_port()
    conf = workdir / "smb.conf"
    conf.write_text(samba_conf(workdir, port, directory, user, read_only=read_only))
    _add_samba_user(conf, user, password)
    log = workdir / "smbd.log"
    command = ["smbd", "--foreground", "--no-process-group", "--debug-stdout", "-s", str(conf)]
    with _running(command, port, log, "smbd"):
        yield SambaShare(HOST, port, SHARE_NAME, directory, user, password, log)


def ganesha_conf(workdir: Path, port: int, directory: Path, *, read_only: bool) -> str:
    """A private ganesha.conf: NFSv4 over TCP on 127.0.0.1 alone, no NLM/RQUOTA/UDP, no
    grace period, the recovery state under workdir, one VFS export at /rec that takes
    clients from any source port and root as root."""
    (recovery,) = _directories(workdir, "recovery")
    return f"""NFS_Core_Param {{
    NFS_Port = {port};
    Bind_addr = {HOST};
    Protocols = 4;
    Enable_NLM = false;
    Enable_RQUOTA = false;
    Enable_UDP = false;
}}
NFS_KRB5 {{
    Active_krb5 = false;
}}
NFSv4 {{
    RecoveryBackend = fs;
    RecoveryRoot = {recovery};
    Graceless = true;
}}
EXPORT {{
    Export_Id = 1;
    Path = {directory};
    Pseudo = {EXPORT_PATH};
    Access_Type = {"RO" if read_only else "RW"};
    Squash = no_root_squash;
    SecType = sys;
    Protocols = 4;
    Transports = TCP;
    PrivilegedPort = false;
    FSAL {{
        Name = VFS;
    }}
}}
"""


@contextmanager
def nfs_export(
    workdir: Path, read_only: bool = False, port: int | None = None
) -> Iterator[NfsExport]:
    """ganesha.nfsd serving 127.0.0.1:/rec over NFSv4 (port: the answer's); the files under
    the answer's directory (kept: a server started again on the same workdir and `port`
    serves the same files)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (directory,) = _directories(workdir, "export")
    directory.chmod(0o755)
    port = port or free_port()
    conf = workdir / "ganesha.conf"
    conf.write_text(ganesha_conf(workdir, port, directory, read_only=read_only))
    log = workdir / "ganesha.log"
    command = ["ganesha.nfsd", "-F", "-f", str(conf), "-L", str(log),
               "-p", str(workdir / "ganesha.pid")]  # fmt: skip
    with _running(command, port, log, "ganesha.nfsd"):
        yield NfsExport(HOST, port, EXPORT_PATH, directory, log)
