"""An HTTP server that answers every GET and HEAD with a redirect to one URL and writes each
request it gets ("HEAD /b.raucb") to stdout: `python -m testbed.redirector ADDR PORT URL`.

For the bundle URL tests: run in a network namespace of its own, it is a bundle server
elsewhere on the network that sends the unit back to itself; given no URL ("-") it answers
404, as a service on the unit that must never be asked.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    address, port, location = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_HEAD(self) -> None:
            print(self.command, self.path, flush=True)
            self.send_response(404 if location == "-" else 302)
            if location != "-":
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD

    server = ThreadingHTTPServer((address, port), Handler)
    print("serving", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
