"""A unit fresh from flashing, for the factory console on the host: a fake sysfs (DMI, the data
disk, NICs, CPUs), /proc/meminfo and /dev/disk/by-partlabel as a board would have them, a
data directory, the factory key pair, and the console itself over a pty pair."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from orpheus.factory.console import ConsoleSettings, UnitConsole, serve
from orpheus.factory.protocol import ConsoleServer, FdLink, Handler, Link

GIB = 1 << 30
DEVICE_BYTES = 40 << 20  # the fake /dev/sda the disk step reads (sysfs says the board's size)
MACS = ("52:54:00:12:34:56", "52:54:00:12:34:57")


@dataclass(frozen=True)
class Hardware:
    """What the fake unit is built with: by default a Mini as declared in board/mini."""

    product_uuid: str = "4c4c4544-0042-3510-8052-b4c04f4e3232"
    disk_serial: str = "SSD-0001"
    disk_model: str = "FACTORY SSD 16G"
    disk_bytes: int = 16_013_942_784
    ram_bytes: int = 2 * GIB - 64 * 1024 * 1024  # the kernel keeps some: MemTotal is less
    cpus: int = 2
    macs: tuple[str, ...] = MACS
    slots: tuple[str, ...] = ("rootfs-a", "rootfs-b")


@dataclass
class FactoryUnit:
    root: Path
    hardware: Hardware
    ami_port: int
    factory_public: Path
    factory_private: Path
    after_seal: tuple[str, ...] = ()
    consoles: list[UnitConsole] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "orpheus"

    def settings(self) -> ConsoleSettings:
        return ConsoleSettings(
            data_dir=self.data_dir,
            sysfs=self.root / "sys",
            factory_key=self.factory_public,
            release_file=self.root / "release.json",
            proc=self.root / "proc",
            dev_dir=self.root / "dev",
            ami_address=("127.0.0.1", self.ami_port),
            min_free_bytes=1024,
            grubenv=self.root / "boot/efi/EFI/BOOT/grubenv",
            ram_test_bytes=1024 * 1024,
            after_seal=self.after_seal,
        )

    def console(self) -> UnitConsole:
        console = UnitConsole(self.settings())
        self.consoles.append(console)
        return console


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def lay_out(root: Path, hardware: Hardware) -> None:
    """The fake sysfs, /proc and /dev of a unit with this hardware, and its data directory."""
    sys = root / "sys"
    _write(sys / "class/dmi/id/product_uuid", hardware.product_uuid + "\n")
    for index, mac in enumerate(hardware.macs):
        nic = sys / f"class/net/eth{index}"
        (nic / "device").mkdir(parents=True, exist_ok=True)
        _write(nic / "address", mac + "\n")
    for cpu in range(hardware.cpus):
        (sys / f"devices/system/cpu/cpu{cpu}").mkdir(parents=True, exist_ok=True)
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    disk = sys / "devices/virtual/block/sda"
    _write(disk / "size", f"{hardware.disk_bytes // 512}\n")
    _write(disk / "serial", hardware.disk_serial + "\n")
    _write(disk / "device/model", hardware.disk_model + "\n")
    dev = data.stat().st_dev
    block = sys / "dev/block" / f"{os.major(dev)}:{os.minor(dev)}"
    block.parent.mkdir(parents=True, exist_ok=True)
    block.symlink_to(disk)
    _write(root / "proc/meminfo", f"MemTotal:       {hardware.ram_bytes // 1024} kB\n")
    for label in hardware.slots:
        _write(root / "dev/disk/by-partlabel" / label, "")
    with (root / "dev/sda").open("wb") as device:  # the disk the self-test samples (sparse)
        device.truncate(DEVICE_BYTES)
    _write(sys / "class/rtc/rtc0/since_epoch", f"{int(time.time())}\n")
    _write(root / "boot/efi/EFI/BOOT/grubenv", "# GRUB Environment Block\nORDER=A B\nA_OK=1\n")
    udp = "  sl  local_address rem_address   st\n   0: 00000000:13C4 00000000:0000 07\n"
    _write(root / "proc/net/udp", udp)  # Asterisk's SIP port, bound
    _write(root / "release.json", '{"version": "1.2.3"}\n')


def factory_key_pair(directory: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = directory / "factory-signing.key.pem", directory / "factory-public.pem"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    private.chmod(0o600)
    public.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


@contextmanager
def ami_banner(banner: bytes = b"Asterisk Call Manager/9.0.0\r\n") -> Iterator[int]:
    """A listener on 127.0.0.1 that greets like Asterisk's AMI (the self-test reads only that
    greeting); yields its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.sendall(banner)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


class CuttableLink(FdLink):
    """The unit's end of the line, as a cable that can be pulled and plugged back: while cut,
    nothing passes either way (what the station sends meanwhile is lost, as on a real line)."""

    def __init__(self, fd: int, timeout: float = 0.05) -> None:
        super().__init__(fd, timeout)
        self.cut = threading.Event()

    def read(self, size: int = 1) -> bytes:
        data = super().read(size)
        return b"" if self.cut.is_set() else data

    def write(self, data: bytes, /) -> int:
        return len(data) if self.cut.is_set() else super().write(data)


@dataclass
class ConsoleLine:
    """The console serving the unit on a pty's master; the station opens `port`."""

    port: str
    thread: threading.Thread
    link: CuttableLink


@contextmanager
def console_on_pty(unit: FactoryUnit) -> Iterator[ConsoleLine]:
    """Runs the unit's console on a pty (as on ttyS0) until it ends (sealed) or the test does."""
    master, slave = os.openpty()
    console = unit.console()
    link = CuttableLink(master)
    thread = threading.Thread(target=serve, args=(console, link, None, 0.5), daemon=True)
    thread.start()
    try:
        yield ConsoleLine(os.ttyname(slave), thread, link)
    finally:
        console.sealed = True  # ends serve()'s loop at its next frame or grace timeout
        os.close(slave)
        thread.join(timeout=10)
        os.close(master)


class SocketLink:
    """The unit's end of a TCP connection (QEMU's `-serial tcp:...,server` in miniature)."""

    def __init__(self, connection: socket.socket, timeout: float = 0.05) -> None:
        self.connection = connection
        connection.settimeout(timeout)

    def read(self, size: int = 1) -> bytes:
        try:
            return self.connection.recv(size)
        except TimeoutError:
            return b""

    def write(self, data: bytes, /) -> int:
        self.connection.sendall(data)
        return len(data)


@contextmanager
def console_on_tcp(unit: FactoryUnit) -> Iterator[str]:
    """The unit's console behind a listener on 127.0.0.1; yields its socket:// URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    console = unit.console()

    def accept_and_serve() -> None:
        connection, _ = listener.accept()
        with connection:
            serve(console, SocketLink(connection), None, 0.5)

    thread = threading.Thread(target=accept_and_serve, daemon=True)
    thread.start()
    host, port = listener.getsockname()
    try:
        yield f"socket://{host}:{port}"
    finally:
        console.sealed = True
        thread.join(timeout=10)
        listener.close()


@contextmanager
def other_end_on_pty(answer: Callable[[Link], None]) -> Iterator[str]:
    """Something else than the real console on a pty (a hostile or broken unit): answer(link)
    is called again and again until the test ends; yields the path the station opens."""
    master, slave = os.openpty()
    link = FdLink(master, 0.05)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            answer(link)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield os.ttyname(slave)
    finally:
        stop.set()
        thread.join(timeout=10)
        os.close(slave)
        os.close(master)


def handler_on_pty(handler: Handler) -> AbstractContextManager[str]:
    """A console whose every request goes through handler (one that alters the real
    console's replies, say), over the real framed protocol."""
    server: list[ConsoleServer] = []

    def answer(link: Link) -> None:
        if not server:
            server.append(ConsoleServer(link, handler))
        server[0].serve_one(timeout=0.2)

    return other_end_on_pty(answer)
