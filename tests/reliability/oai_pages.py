"""An OAI endpoint on 127.0.0.1 that answers ListRecords wrongly, for the harvest faults."""

from __future__ import annotations

from tests.support.loopback_http import LoopbackHttpServer, QuietHandler

IDENTIFY = (
    b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    b"<responseDate>2026-11-20T00:00:00Z</responseDate><request>x</request><Identify><repositoryName>t</repositoryName>"
    b"<earliestDatestamp>2005-09-16</earliestDatestamp></Identify></OAI-PMH>"
)


class PageServer(LoopbackHttpServer):
    """An OAI endpoint on 127.0.0.1 answering Identify properly and ListRecords with a fixed (wrong) body."""

    def __init__(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.body, self.status, self.requests = body, status, 0
        self.headers = headers or {}
        outer = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                identify = "verb=Identify" in self.path
                payload = IDENTIFY if identify else outer.body
                self.send_response(200 if identify else outer.status)
                self.send_header("Content-Type", "text/xml")
                for key, value in ({} if identify else outer.headers).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        super().__init__(Handler, "/oai")


class EndlessPageServer(LoopbackHttpServer):
    """Answers every GET with ``total_bytes`` of XML-looking text, no Content-Length (read until close)."""

    def __init__(self, total_bytes: int) -> None:
        self.total_bytes, self.bytes_sent = total_bytes, 0
        outer = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                chunk = b"<record>" + b"x" * (1 << 20) + b"</record>"
                try:
                    while outer.bytes_sent < outer.total_bytes:
                        self.wfile.write(chunk)
                        outer.bytes_sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client refused the rest

        super().__init__(Handler, "/oai")
