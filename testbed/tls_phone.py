"""A SIP phone over TLS with SDES-SRTP, for the tests of SIP over TLS (Debian's sipp is built
without TLS). It registers with digest authentication, optionally calls a number (the offer
carries an SRTP key, RTP/SAVP) and hangs up once it is answered, optionally stays registered
for a while and answers any call it is offered with 486, counting them. It prints one JSON
object: what each step answered and the SHA-256 of the certificate the server presented.

Run in a unit's network namespace: `ip netns exec NS python -m testbed.tls_phone ...`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import socket
import ssl
import sys
import time
from dataclasses import dataclass, field

TIMEOUT_SECONDS = 10.0


@dataclass
class Message:
    start: str
    headers: list[tuple[str, str]]
    body: str = ""

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def status(self) -> int:
        return int(self.start.split()[1]) if self.start.startswith("SIP/2.0") else 0


class Connection:
    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.sock = sock
        self.buffer = b""

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def receive(self, timeout: float = TIMEOUT_SECONDS) -> Message:
        self.sock.settimeout(timeout)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        pairs = (line.partition(":") for line in lines[1:])
        headers = [(k.strip(), v.strip()) for k, _, v in pairs]
        message = Message(lines[0], headers)
        length = int(message.header("Content-Length") or 0)
        while len(self.buffer) < length:
            self._read()
        message.body, self.buffer = self.buffer[:length].decode(), self.buffer[length:]
        return message

    def _read(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data


@dataclass
class Phone:
    connection: Connection
    user: str
    password: str
    server: str
    local: str  # address:port of our end of the connection
    tag: str = field(default_factory=lambda: secrets.token_hex(4))
    cseq: int = 1
    offered: int = 0  # INVITEs received
    answering: bool = False  # INVITEs are answered 200 (else 486)

    def request(self, method: str, uri: str, call_id: str, to: str, extra: str = "",
                body: str = "", to_tag: str = "") -> str:  # fmt: skip
        self.cseq += 1
        branch = "z9hG4bK" + secrets.token_hex(8)
        content = "Content-Type: application/sdp\r\n" if body else ""
        return (
            f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS {self.local};rport;branch={branch}\r\n"
            f"From: <sip:{self.user}@{self.server}>;tag={self.tag}\r\n"
            f"To: <sip:{to}@{self.server}>{';tag=' + to_tag if to_tag else ''}\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {self.cseq} {method}\r\n"
            f"Contact: <sip:{self.user}@{self.local};transport=tls>\r\n"
            f"Max-Forwards: 70\r\n{extra}{content}Content-Length: {len(body)}\r\n\r\n{body}"
        )

    def final(self, call_id: str) -> Message:
        """The next final response of the dialog; requests from the server meanwhile are
        answered (an INVITE with 486, counted; anything else with 200)."""
        while True:
            message = self.connection.receive()
            if message.status == 0:
                self.answer_request(message)
            elif message.status >= 200 and message.header("Call-ID") == call_id:
                return message

    def answer_request(self, message: Message) -> None:
        """An INVITE is answered 486, or 200 with an SRTP answer when answering; anything
        else but an ACK 200."""
        method = message.start.split()[0]
        if method == "ACK":
            return
        body, code = "", "200 OK"
        if method == "INVITE":
            self.offered += 1
            code = "200 OK" if self.answering else "486 Busy Here"
            address = self.local.rsplit(":", 1)[0]
            body = srtp_sdp(address, 40100) if self.answering else ""
        copied = "".join(
            f"{k}: {v}{';tag=' + self.tag if k.lower() == 'to' and 'tag=' not in v else ''}\r\n"
            for k, v in message.headers if k.lower() in ("via", "from", "to", "call-id", "cseq")
        )  # fmt: skip
        content = (
            f"Contact: <sip:{self.user}@{self.local};transport=tls>\r\n"
            "Content-Type: application/sdp\r\n"
            if body
            else ""
        )
        self.connection.send(
            f"SIP/2.0 {code}\r\n{copied}{content}Content-Length: {len(body)}\r\n\r\n{body}"
        )

    def authorised(self, method: str, uri: str, call_id: str, to: str, body: str = "") -> Message:
        """The request, then again with credentials if challenged; its final answer."""
        self.connection.send(self.request(method, uri, call_id, to, EXPIRES[method], body))
        answer = self.final(call_id)
        if answer.status != 401:
            return answer
        if method == "INVITE":
            self.ack(uri, call_id, to, answer)
        credentials = digest(answer, method, uri, self.user, self.password)
        extra = f"Authorization: {credentials}\r\n{EXPIRES[method]}"
        self.connection.send(self.request(method, uri, call_id, to, extra, body))
        return self.final(call_id)

    def ack(self, uri: str, call_id: str, to: str, answer: Message) -> None:
        to_tag = re.search(r";tag=([^;>\s]+)", answer.header("To"))
        self.cseq -= 1  # an ACK has the INVITE's sequence number
        self.connection.send(self.request("ACK", uri, call_id, to,
                                          to_tag=to_tag.group(1) if to_tag else ""))  # fmt: skip


EXPIRES = {"REGISTER": "Expires: 300\r\n", "INVITE": "", "BYE": ""}


def digest(challenge: Message, method: str, uri: str, user: str, password: str) -> str:
    """An MD5 digest answer (RFC 2617, qop=auth) to the MD5 challenge among those offered."""
    offered = [h for h in challenge.all("WWW-Authenticate") if "MD5" in h.upper() or
               "algorithm" not in h.lower()]  # fmt: skip
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', offered[0]))
    realm, nonce = params["realm"], params["nonce"]
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()  # noqa: S324 - SIP's
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()  # noqa: S324
    cnonce, nc = secrets.token_hex(8), "00000001"
    response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()  # noqa: S324
    opaque = f', opaque="{params["opaque"]}"' if "opaque" in params else ""
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"{opaque}'
    )


def srtp_sdp(address: str, media_port: int) -> str:
    """An offer or answer of PCMU over SRTP with a fresh SDES key."""
    key = base64.b64encode(os.urandom(30)).decode()  # 16 bytes of key, 14 of salt
    return (
        f"v=0\r\no=phone 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
        f"m=audio {media_port} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}\r\na=sendrecv\r\n"
    )


def call(phone: Phone, number: str, hold: float) -> dict[str, object]:
    call_id, uri = secrets.token_hex(12), f"sip:{number}@{phone.server}"
    address = phone.local.rsplit(":", 1)[0]
    answer = phone.authorised("INVITE", uri, call_id, number, srtp_sdp(address, 40000))
    result: dict[str, object] = {"invite": answer.status, "answer_sdp": answer.body,
                                 "call_id": call_id}  # fmt: skip
    phone.ack(uri, call_id, number, answer)
    if answer.status == 200:
        time.sleep(hold)
        to_tag = re.search(r";tag=([^;>\s]+)", answer.header("To"))
        phone.connection.send(phone.request("BYE", uri, call_id, number,
                                            to_tag=to_tag.group(1) if to_tag else ""))  # fmt: skip
        result["bye"] = phone.final(call_id).status
    return result


def listen(phone: Phone, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            phone.answer_request(phone.connection.receive(timeout=left))
        except TimeoutError:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:5061")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--call", help="a number to call once registered")
    parser.add_argument("--hold", type=float, default=0.5, help="seconds an answered call lasts")
    parser.add_argument("--listen", type=float, default=0.0, help="seconds to stay registered")
    parser.add_argument("--answer", action="store_true", help="answer calls (else busy)")
    args = parser.parse_args(argv)
    host, port = args.server.rsplit(":", 1)
    # No verification here: the test compares the certificate presented with the unit's.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((host, int(port)), timeout=TIMEOUT_SECONDS)
    with context.wrap_socket(raw) as sock:
        peer = sock.getpeercert(binary_form=True) or b""
        local = "{}:{}".format(*sock.getsockname()[:2])
        phone = Phone(Connection(sock), args.user, args.password, args.server, local,
                      answering=args.answer)  # fmt: skip
        result: dict[str, object] = {
            "certificate_sha256": hashlib.sha256(peer).hexdigest(),
            "tls_version": sock.version(),
        }
        register = phone.authorised("REGISTER", f"sip:{args.server}", secrets.token_hex(12),
                                    args.user)  # fmt: skip
        result["register"] = register.status
        print(json.dumps({"registered": register.status}), flush=True)
        if args.call and register.status == 200:
            result.update(call(phone, args.call, args.hold))
        listen(phone, args.listen)
        result["offered"] = phone.offered
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
