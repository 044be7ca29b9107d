"""An HTTP server on 127.0.0.1 in a daemon thread: the base of the test servers that answer wrongly on purpose."""

from __future__ import annotations

import http.server
import threading
from typing import Self


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that keeps the test output free of access logs."""

    def log_message(self, *args: object) -> None:
        pass


class LoopbackHttpServer:
    """Serves ``handler`` on a free loopback port until ``close``; ``url`` ends with ``path``."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler], path: str = "") -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
