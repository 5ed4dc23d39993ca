"""The NAS servers of testbed/nas_servers.py, from the host with userspace clients (the host
kernel mounts neither): smbclient for the SMB share, libnfs's nfs-cp and nfs-ls for the NFSv4
export. Checked: a file written is listed and lands in the served directory, a wrong SMB
password is refused, a read-only share or export refuses a write, the NFS export takes a
client from a non-privileged source port (as QEMU's user networking connects), and nothing
is left running after the block. Needs root (the servers run as root) and the host tools."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from testbed.nas_servers import NfsExport, SambaShare, nfs_export, samba_share

pytestmark = [
    pytest.mark.host_tools,  # smbd, smbpasswd, smbclient, ganesha.nfsd, nfs-ls, nfs-cp
    pytest.mark.skipif(os.geteuid() != 0, reason="the NAS servers run as root"),
]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]  # no reserved port


def run(*command: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), capture_output=True, text=True, timeout=timeout, check=False
    )


def smbclient(share: SambaShare, password: str, commands: str) -> subprocess.CompletedProcess[str]:
    return run("smbclient", "-p", str(share.port), f"//{share.host}/{share.share}",
               "-U", f"{share.user}%{password}", "-c", commands)  # fmt: skip


def gone(port: int) -> bool:
    listening = run("ss", "-Htln", f"sport = :{port}").stdout
    return not listening.strip()


def test_samba_share_takes_a_file_lists_it_and_refuses_a_wrong_password(tmp_path: Path) -> None:
    upload = tmp_path / "call.wav"
    upload.write_bytes(b"RIFF recording")
    with samba_share(tmp_path / "smb", password="right-pass-1") as share:
        assert share.host == "127.0.0.1" and share.share == "rec"
        written = smbclient(share, "right-pass-1", f"put {upload} call.wav; ls")
        assert written.returncode == 0, written.stdout + written.stderr
        assert "call.wav" in written.stdout
        assert (share.directory / "call.wav").read_bytes() == b"RIFF recording"
        refused = smbclient(share, "wrong-pass-1", "ls")
        assert refused.returncode != 0
        assert "NT_STATUS_LOGON_FAILURE" in refused.stdout + refused.stderr
        port = share.port
    assert gone(port)


def test_a_read_only_samba_share_refuses_a_write(tmp_path: Path) -> None:
    upload = tmp_path / "call.wav"
    upload.write_bytes(b"RIFF")
    with samba_share(tmp_path / "smb", read_only=True) as share:
        (share.directory / "old.wav").write_bytes(b"kept")
        listed = smbclient(share, share.password, "ls")
        assert listed.returncode == 0 and "old.wav" in listed.stdout
        refused = smbclient(share, share.password, f"put {upload} call.wav")
        assert refused.returncode != 0
        assert "NT_STATUS_ACCESS_DENIED" in refused.stdout + refused.stderr
        assert not (share.directory / "call.wav").exists()


def nfs_cp(export: NfsExport, source: Path, name: str) -> subprocess.CompletedProcess[str]:
    return run("nfs-cp", str(source), export.url(name))


def test_nfs_export_takes_a_file_and_lists_it(tmp_path: Path) -> None:
    upload = tmp_path / "call.wav"
    upload.write_bytes(b"RIFF recording")
    with nfs_export(tmp_path / "nfs") as export:
        assert export.host == "127.0.0.1" and export.export == "/rec"
        written = nfs_cp(export, upload, "call.wav")
        assert written.returncode == 0, written.stdout + written.stderr
        assert (export.directory / "call.wav").read_bytes() == b"RIFF recording"
        listed = run("nfs-ls", export.url())
        assert listed.returncode == 0 and "call.wav" in listed.stdout
        # An unprivileged client binds no reserved port: the export takes it all the same.
        unprivileged = run(*NOBODY, "nfs-ls", export.url())
        assert unprivileged.returncode == 0, unprivileged.stderr
        assert "call.wav" in unprivileged.stdout
        port = export.port
    assert gone(port)


def test_a_read_only_nfs_export_refuses_a_write(tmp_path: Path) -> None:
    upload = tmp_path / "call.wav"
    upload.write_bytes(b"RIFF")
    with nfs_export(tmp_path / "nfs", read_only=True) as export:
        (export.directory / "old.wav").write_bytes(b"kept")
        listed = run("nfs-ls", export.url())
        assert listed.returncode == 0 and "old.wav" in listed.stdout
        refused = nfs_cp(export, upload, "call.wav")
        assert refused.returncode != 0
        assert not (export.directory / "call.wav").exists()
