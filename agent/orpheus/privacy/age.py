"""The age format (age-encryption.org/v1), X25519 recipients only, streaming both ways.

A file is a text header (the 16-byte file key wrapped for each recipient, and an HMAC over
the header) and a payload: a 16-byte nonce, then the plaintext in 64 KiB chunks sealed with
ChaCha20-Poly1305 under a key derived from the file key and the nonce; each chunk's nonce is
its counter and a flag marking the last chunk, so a truncated or reordered file is refused.
Both directions hold one chunk at a time. Files decrypt with `age -d -i` and the identity
(`AGE-SECRET-KEY-1...`), and files `age -r` writes decrypt here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from orpheus.privacy import bech32

VERSION_LINE = b"age-encryption.org/v1\n"
CHUNK = 64 * 1024
TAG = 16
NONCE = 16
X25519_INFO = b"age-encryption.org/v1/X25519"
RECIPIENT_HRP = "age"
IDENTITY_HRP = "age-secret-key-"
# A header is a few hundred bytes; one far larger is not ours to parse.
MAX_HEADER = 64 * 1024
_ARGUMENT = re.compile(rb"[\x21-\x7e]+")
_RAW = serialization.Encoding.Raw


class AgeError(ValueError):
    """A file, key or identity that is not what it should be; one line for the user."""


def _b64encode(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _b64decode(text: bytes) -> bytes:
    """Canonical unpadded base64 only, as the spec requires."""
    if text.endswith(b"=") or re.fullmatch(rb"[A-Za-z0-9+/]*", text) is None:
        raise AgeError("age: bad base64 in the header")
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except binascii.Error as error:
        raise AgeError("age: bad base64 in the header") from error
    if _b64encode(data) != text:
        raise AgeError("age: non-canonical base64 in the header")
    return data


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt or None, info).derive(ikm)


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


# Keys ---------------------------------------------------------------------------------------


def generate_identity() -> bytes:
    """32 random bytes: an X25519 identity."""
    return os.urandom(32)


def public_of(identity: bytes) -> bytes:
    return _raw_public(X25519PrivateKey.from_private_bytes(identity).public_key())


def recipient_text(public: bytes) -> str:
    return bech32.encode(RECIPIENT_HRP, public)


def identity_text(identity: bytes) -> str:
    return bech32.encode(IDENTITY_HRP, identity).upper()


def _key_from_text(text: str, hrp: str, what: str) -> bytes:
    try:
        found, data = bech32.decode(text.strip())
    except bech32.Bech32Error as error:
        raise AgeError(f"age: not an {what}: {error}") from error
    if found != hrp or len(data) != 32:
        raise AgeError(f"age: not an {what}")
    return data


def parse_recipient(text: str) -> bytes:
    return _key_from_text(text, RECIPIENT_HRP, "age recipient (age1...)")


def parse_identity(text: str) -> bytes:
    return _key_from_text(text, IDENTITY_HRP, "age identity (AGE-SECRET-KEY-1...)")


# Header -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stanza:
    arguments: list[bytes]
    body: bytes

    def encode(self) -> bytes:
        text = _b64encode(self.body)
        lines = [text[i : i + 64] for i in range(0, len(text), 64)]
        if not lines or len(lines[-1]) == 64:
            lines.append(b"")  # the body ends with a line shorter than 64 columns
        return b"-> " + b" ".join(self.arguments) + b"\n" + b"".join(x + b"\n" for x in lines)


def _wrap_for(public: bytes, file_key: bytes) -> Stanza:
    ephemeral = X25519PrivateKey.generate()
    share = _raw_public(ephemeral.public_key())
    secret = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    wrap_key = _hkdf(secret, share + public, X25519_INFO)
    body = ChaCha20Poly1305(wrap_key).encrypt(bytes(12), file_key, None)
    return Stanza([b"X25519", _b64encode(share)], body)


def _unwrap(stanza: Stanza, identity: bytes) -> bytes | None:
    """The file key if the stanza is for this identity, else None."""
    if not stanza.arguments or stanza.arguments[0] != b"X25519":
        return None
    if len(stanza.arguments) != 2:
        raise AgeError("age: an X25519 stanza has other than one argument")
    share = _b64decode(stanza.arguments[1])
    if len(share) != 32 or len(stanza.body) != 32:
        raise AgeError("age: an X25519 stanza of the wrong size")
    key = X25519PrivateKey.from_private_bytes(identity)
    try:
        secret = key.exchange(X25519PublicKey.from_public_bytes(share))
    except ValueError as error:  # an all-zero shared secret (a low-order share)
        raise AgeError("age: an X25519 stanza with a low-order share") from error
    wrap_key = _hkdf(secret, share + _raw_public(key.public_key()), X25519_INFO)
    try:
        return ChaCha20Poly1305(wrap_key).decrypt(bytes(12), stanza.body, None)
    except InvalidTag:
        return None  # for another recipient


def _header_mac(file_key: bytes, header_to_dashes: bytes) -> bytes:
    return hmac.new(_hkdf(file_key, b"", b"header"), header_to_dashes, hashlib.sha256).digest()


def _read_line(source: BinaryIO, budget: list[int]) -> bytes:
    line = source.readline(budget[0] + 1)
    budget[0] -= len(line)
    if budget[0] < 0:
        raise AgeError("age: header too long")
    if not line.endswith(b"\n"):
        raise AgeError("age: file ends inside the header")
    return line[:-1]


def read_header(source: BinaryIO) -> tuple[list[Stanza], bytes, bytes]:
    """(stanzas, the header bytes the MAC covers, the MAC); leaves source at the payload."""
    budget = [MAX_HEADER]
    if _read_line(source, budget) + b"\n" != VERSION_LINE:
        raise AgeError("age: not an age v1 file")
    covered = bytearray(VERSION_LINE)
    stanzas: list[Stanza] = []
    line = _read_line(source, budget)
    while line.startswith(b"-> "):
        covered += line + b"\n"
        arguments = line[3:].split(b" ")
        if any(_ARGUMENT.fullmatch(a) is None for a in arguments):
            raise AgeError("age: bad stanza line")
        body = bytearray()
        while True:
            part = _read_line(source, budget)
            covered += part + b"\n"
            if len(part) > 64:
                raise AgeError("age: stanza body line longer than 64 columns")
            body += part
            if len(part) < 64:
                break
        stanzas.append(Stanza(arguments, _b64decode(bytes(body))))
        line = _read_line(source, budget)
    if not stanzas or not line.startswith(b"--- "):
        raise AgeError("age: bad header (no stanza or no MAC line)")
    covered += b"---"
    mac = _b64decode(line[4:])
    if len(mac) != 32:
        raise AgeError("age: bad header MAC")
    return stanzas, bytes(covered), mac


def _file_key(source: BinaryIO, identity: bytes) -> bytes:
    stanzas, covered, mac = read_header(source)
    for stanza in stanzas:
        file_key = _unwrap(stanza, identity)
        if file_key is not None:
            if len(file_key) != 16:
                raise AgeError("age: bad file key")
            if not hmac.compare_digest(_header_mac(file_key, covered), mac):
                raise AgeError("age: the header's MAC does not match (the header was changed)")
            return file_key
    raise AgeError("age: the file is not encrypted to this identity")


# Payload ------------------------------------------------------------------------------------


def _chunk_nonce(counter: int, last: bool) -> bytes:
    if counter >= 1 << 88:
        raise AgeError("age: too many chunks")
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class Encryptor:
    """Writes an age file to `out` for one recipient, a chunk at a time.

    A full chunk is sealed only once a byte after it arrives (the last chunk carries a flag),
    so at most one chunk of plaintext is held. finish() seals the last one; without it the
    file is incomplete and every decryptor refuses it.
    """

    def __init__(self, out: BinaryIO, recipient: bytes) -> None:
        file_key = os.urandom(16)
        head = VERSION_LINE + _wrap_for(recipient, file_key).encode() + b"---"
        mac = _header_mac(file_key, head)
        nonce = os.urandom(NONCE)
        out.write(head + b" " + _b64encode(mac) + b"\n" + nonce)
        self._start(out, _hkdf(file_key, nonce, b"payload"), 0)

    def _start(self, out: BinaryIO, payload_key: bytes, counter: int) -> None:
        self._out = out
        self.payload_key = payload_key
        self._aead = ChaCha20Poly1305(payload_key)
        self._counter = counter
        self._buffer = bytearray()
        self.plaintext_bytes = counter * CHUNK

    @classmethod
    def resume(cls, out: BinaryIO, payload_key: bytes, sealed_chunks: int) -> Encryptor:
        """Goes on with a file whose header and first sealed_chunks chunks out already holds
        (out positioned after them): what an agent restarted mid-recording does. Only the
        same plaintext may follow as before the restart (a chunk's nonce is its counter)."""
        encryptor = cls.__new__(cls)
        encryptor._start(out, payload_key, sealed_chunks)
        return encryptor

    @property
    def sealed_chunks(self) -> int:
        return self._counter

    def write(self, data: bytes) -> None:
        self._buffer += data
        self.plaintext_bytes += len(data)
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]

    @property
    def held(self) -> int:
        """Plaintext bytes taken in and not yet sealed (at most one chunk)."""
        return len(self._buffer)

    def finish(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _seal(self, plaintext: bytes, last: bool) -> None:
        nonce = _chunk_nonce(self._counter, last)
        self._out.write(self._aead.encrypt(nonce, plaintext, None))
        self._counter += 1


def decrypt(source: BinaryIO, identity: bytes) -> Iterator[bytes]:
    """The plaintext, a chunk at a time; AgeError (naming the chunk) at the first one that
    fails its tag, and for a file that ends without its last chunk."""
    file_key = _file_key(source, identity)
    nonce = source.read(NONCE)
    if len(nonce) != NONCE:
        raise AgeError("age: file ends before the payload nonce")
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    counter = 0
    sealed = source.read(CHUNK + TAG)
    while True:
        following = source.read(CHUNK + TAG) if len(sealed) == CHUNK + TAG else b""
        last = not following
        if len(sealed) < TAG or (last and counter > 0 and len(sealed) == TAG):
            raise AgeError(f"age: chunk {counter} is truncated (the file was cut)")
        try:
            plaintext = aead.decrypt(_chunk_nonce(counter, last), sealed, None)
        except InvalidTag as error:
            raise AgeError(
                f"age: chunk {counter} fails its authentication tag (the file was changed or cut)"
            ) from error
        yield plaintext
        if last:
            return
        counter += 1
        sealed = following


def plaintext_size(ciphertext_after_header: int) -> int:
    """The plaintext's size from the payload's (nonce included): each chunk adds a tag."""
    sealed = ciphertext_after_header - NONCE
    chunks = max(1, -(-sealed // (CHUNK + TAG)))
    return max(0, sealed - chunks * TAG)
