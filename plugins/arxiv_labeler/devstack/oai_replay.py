"""A local OAI-PMH 2.0 endpoint that serves a Kaggle-snapshot JSONL like arXiv does.

For development offline and for tests: Identify, ListMetadataFormats, ListSets,
ListRecords, ListIdentifiers and GetRecord in ``arXivRaw``, ``arXiv`` and
``oai_dc``; ``from``/``until`` on the record's ``update_date``; sets; paging with
stateless resumption tokens that expire at the next UTC midnight; OAI errors
as arXiv returns them (HTTP 200 + ``<error code>``). :class:`Faults` injects
the failures a real harvest meets.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from arxiv_labeler.errors import DevstackError
from arxiv_labeler.harvest.kaggle import read_snapshot
from arxiv_labeler.harvest.taxonomy import GROUPS, group_of, record_in_set

FORMATS = {
    "arXivRaw": ("http://arxiv.org/OAI/arXivRaw/", "http://arxiv.org/OAI/arXivRaw.xsd"),
    "arXiv": ("http://arxiv.org/OAI/arXiv/", "http://arxiv.org/OAI/arXiv.xsd"),
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc/", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
}
VERBS = ("Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords", "GetRecord")


@dataclass
class Faults:
    """Failures to inject, by 1-based request number (counting every request the server gets)."""

    status_503_on: set[int] = field(default_factory=set)
    status_429_on: set[int] = field(default_factory=set)
    retry_after: str = "1"
    slow_on: set[int] = field(default_factory=set)
    slow_seconds: float = 5.0
    malformed_on: set[int] = field(default_factory=set)
    expired_token_on: set[int] = field(default_factory=set)
    reset_on: set[int] = field(default_factory=set)  # half the body sent, then the connection reset (TCP RST)


@dataclass
class RequestLog:
    """What the server saw: monotonic arrival times and query strings."""

    times: list[float] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _x(value: Any) -> str:
    return escape(str(value))


def _raw_metadata(entry: dict[str, Any]) -> str:
    parts = [f"<id>{_x(entry['id'])}</id>"]
    if entry.get("submitter"):
        parts.append(f"<submitter>{_x(entry['submitter'])}</submitter>")
    for version in entry.get("versions") or []:
        parts.append(
            f"<version version={quoteattr(version.get('version', 'v1'))}><date>{_x(version.get('created', ''))}</date>"
            "<size>1kb</size><source_type>D</source_type></version>"
        )
    for tag, key in (
        ("title", "title"),
        ("authors", "authors"),
        ("categories", "categories"),
        ("comments", "comments"),
        ("report-no", "report-no"),
        ("journal-ref", "journal-ref"),
        ("doi", "doi"),
        ("license", "license"),
        ("abstract", "abstract"),
    ):
        if entry.get(key):
            parts.append(f"<{tag}>{_x(entry[key])}</{tag}>")
    return "".join(parts)


def _arxiv_metadata(entry: dict[str, Any]) -> str:
    from arxiv_labeler.harvest.kaggle import rfc2822_date

    dates = [rfc2822_date(v["created"]) for v in entry.get("versions") or [] if v.get("created")]
    parts = [f"<id>{_x(entry['id'])}</id>"]
    if dates:
        # As arXiv's server (arXiv/oaipmh record_formats.xml): <created> is the current version's date.
        # Its <updated> is the metadata row's last edit, which the snapshot does not keep: left out.
        parts.append(f"<created>{dates[-1].isoformat()}</created>")
    authors = "".join(
        "<author>"
        + f"<keyname>{_x(a[0])}</keyname>"
        + (f"<forenames>{_x(a[1])}</forenames>" if len(a) > 1 and a[1] else "")
        + (f"<suffix>{_x(a[2])}</suffix>" if len(a) > 2 and a[2] else "")
        + "</author>"
        for a in entry.get("authors_parsed") or []
    )
    parts.append(f"<authors>{authors}</authors>")
    for tag, key in (
        ("title", "title"),
        ("categories", "categories"),
        ("comments", "comments"),
        ("journal-ref", "journal-ref"),
        ("doi", "doi"),
        ("license", "license"),
        ("abstract", "abstract"),
    ):
        if entry.get(key):
            parts.append(f"<{tag}>{_x(entry[key])}</{tag}>")
    return "".join(parts)


def _dc_metadata(entry: dict[str, Any]) -> str:
    creators = "".join(
        f"<dc:creator>{_x(' '.join(p for p in (a[0] + ',', a[1] if len(a) > 1 else '') if p))}</dc:creator>"
        for a in entry.get("authors_parsed") or []
    )
    return (
        f"<dc:title>{_x(entry.get('title', ''))}</dc:title>{creators}"
        f"<dc:description>{_x(entry.get('abstract', ''))}</dc:description>"
        f"<dc:date>{_x(entry.get('update_date', ''))}</dc:date><dc:type>text</dc:type>"
        f"<dc:identifier>http://arxiv.org/abs/{_x(entry['id'])}</dc:identifier>"
    )


class ReplayArchive:
    """The snapshot in memory, indexed for OAI queries."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = sorted(entries, key=lambda e: (e["update_date"], e["id"]))
        self.by_id = {e["id"]: e for e in self.entries}

    @classmethod
    def from_file(cls, path: Path) -> ReplayArchive:
        """Load a Kaggle-snapshot JSONL file."""
        return cls(list(read_snapshot(path)))

    def days_with_records(self) -> list[dt.date]:
        """Every update_date in the data, sorted."""
        return sorted({dt.date.fromisoformat(e["update_date"]) for e in self.entries})

    def select(self, start: str | None, until: str | None, set_spec: str | None) -> list[dict[str, Any]]:
        """Entries with update_date in [start, until] (both optional) and in the set, if given."""
        return [
            e
            for e in self.entries
            if (start is None or e["update_date"] >= start)
            and (until is None or e["update_date"] <= until)
            and (not set_spec or record_in_set((e.get("categories") or "").split(), set_spec))
        ]


class OaiReplayServer:
    """Threaded HTTP server on 127.0.0.1; ``start()`` in a thread, ``stop()`` when done."""

    def __init__(self, archive: ReplayArchive, port: int = 0, page_size: int = 100, faults: Faults | None = None) -> None:
        self.archive = archive
        self.page_size = page_size
        self.faults = faults or Faults()
        self.log = RequestLog()
        handler = type("Handler", (_Handler,), {"replay": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The OAI-PMH base URL."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/oai"

    def start(self) -> OaiReplayServer:
        """Serve in a background thread; returns self."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="oai-replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> OaiReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- OAI-PMH ---------------------------------------------------------

    def respond(self, query: dict[str, str], request_number: int) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for request number ``request_number``, faults applied."""
        faults = self.faults
        if request_number in faults.status_503_on:
            return 503, {"Retry-After": faults.retry_after}, b"Service temporarily unavailable"
        if request_number in faults.status_429_on:
            return 429, {"Retry-After": faults.retry_after}, b"Too many requests"
        if request_number in faults.slow_on:
            time.sleep(faults.slow_seconds)
        body = self.oai_response(query, expired=request_number in faults.expired_token_on)
        if request_number in faults.malformed_on:
            body = body[: len(body) // 2]
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, body

    def oai_response(self, query: dict[str, str], expired: bool = False) -> bytes:
        """The OAI-PMH XML document answering ``query``."""
        verb = query.get("verb", "")
        request_attrs = " ".join(
            f"{k}={quoteattr(v)}"
            for k, v in sorted(query.items())
            if k in ("verb", "metadataPrefix", "from", "until", "set", "identifier", "resumptionToken")
        )
        try:
            if verb not in VERBS:
                raise _OaiProblemError("badVerb", f"Illegal verb: {verb!r}")
            inner = getattr(self, f"_verb_{verb}")(query, expired)
        except _OaiProblemError as problem:
            inner = f"<error code={quoteattr(problem.code)}>{_x(problem.message)}</error>"
            request_attrs = ""
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
            f"<responseDate>{now}</responseDate><request {request_attrs}>{_x(self.url)}</request>{inner}</OAI-PMH>"
        ).encode()

    def _check_args(self, query: dict[str, str], allowed: set[str], required: set[str]) -> None:
        extra = set(query) - allowed - {"verb"}
        if extra:
            raise _OaiProblemError("badArgument", f"Illegal arguments: {', '.join(sorted(extra))}")
        missing = required - set(query)
        if missing:
            raise _OaiProblemError("badArgument", f"Missing required arguments: {', '.join(sorted(missing))}")

    def _verb_Identify(self, query: dict[str, str], expired: bool) -> str:
        self._check_args(query, set(), set())
        return (
            "<Identify><repositoryName>arXiv (local replay)</repositoryName>"
            f"<baseURL>{_x(self.url)}</baseURL><protocolVersion>2.0</protocolVersion>"
            "<adminEmail>help@arxiv.org</adminEmail><earliestDatestamp>2005-09-16</earliestDatestamp>"
            "<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DD</granularity></Identify>"
        )

    def _verb_ListMetadataFormats(self, query: dict[str, str], expired: bool) -> str:
        self._check_args(query, {"identifier"}, set())
        formats = "".join(
            f"<metadataFormat><metadataPrefix>{p}</metadataPrefix><schema>{s}</schema>"
            f"<metadataNamespace>{ns}</metadataNamespace></metadataFormat>"
            for p, (ns, s) in FORMATS.items()
        )
        return f"<ListMetadataFormats>{formats}</ListMetadataFormats>"

    def _verb_ListSets(self, query: dict[str, str], expired: bool) -> str:
        self._check_args(query, {"resumptionToken"}, set())
        archives = sorted(
            {(group_of(c), c.split(".")[0]) for e in self.archive.entries for c in (e.get("categories") or "").split()}
        )
        sets = [f"<set><setSpec>{g}</setSpec><setName>{g}</setName></set>" for g in GROUPS]
        sets += [f"<set><setSpec>{g}:{a}</setSpec><setName>{a}</setName></set>" for g, a in archives]
        return f"<ListSets>{''.join(sets)}</ListSets>"

    def _record(self, entry: dict[str, Any], prefix: str, header_only: bool = False) -> str:
        sets = sorted({f"{group_of(c)}:{c.split('.')[0]}" for c in (entry.get("categories") or "").split()})
        header = (
            f"<header><identifier>oai:arXiv.org:{_x(entry['id'])}</identifier>"
            f"<datestamp>{entry['update_date']}</datestamp>" + "".join(f"<setSpec>{s}</setSpec>" for s in sets) + "</header>"
        )
        if header_only:
            return header
        ns, schema = FORMATS[prefix]
        if prefix == "oai_dc":
            body = (
                f'<oai_dc:dc xmlns:oai_dc="{ns}" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{ns} {schema}">'
                f"{_dc_metadata(entry)}</oai_dc:dc>"
            )
        else:
            content = _raw_metadata(entry) if prefix == "arXivRaw" else _arxiv_metadata(entry)
            body = (
                f'<{prefix} xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xsi:schemaLocation="{ns} {schema}">{content}</{prefix}>'
            )
        return f"<record>{header}<metadata>{body}</metadata></record>"

    def _verb_GetRecord(self, query: dict[str, str], expired: bool) -> str:
        self._check_args(query, {"identifier", "metadataPrefix"}, {"identifier", "metadataPrefix"})
        prefix = query["metadataPrefix"]
        if prefix not in FORMATS:
            raise _OaiProblemError("cannotDisseminateFormat", f"Format {prefix!r} not supported")
        entry = self.archive.by_id.get(query["identifier"].removeprefix("oai:arXiv.org:"))
        if entry is None:
            raise _OaiProblemError("idDoesNotExist", f"{query['identifier']} does not exist")
        return f"<GetRecord>{self._record(entry, prefix)}</GetRecord>"

    def _verb_ListIdentifiers(self, query: dict[str, str], expired: bool) -> str:
        return self._list(query, expired, "ListIdentifiers", header_only=True)

    def _verb_ListRecords(self, query: dict[str, str], expired: bool) -> str:
        return self._list(query, expired, "ListRecords", header_only=False)

    def _list(self, query: dict[str, str], expired: bool, verb: str, header_only: bool) -> str:
        if "resumptionToken" in query:
            self._check_args(query, {"resumptionToken"}, {"resumptionToken"})
            state = _decode_token(query["resumptionToken"])
            if expired or state is None or state["expires"] <= dt.datetime.now(dt.UTC).timestamp():
                raise _OaiProblemError("badResumptionToken", "Invalid or expired resumption token")
        else:
            self._check_args(query, {"metadataPrefix", "from", "until", "set"}, {"metadataPrefix"})
            state = {k: query.get(k) for k in ("metadataPrefix", "from", "until", "set")} | {"offset": 0}
            for key in ("from", "until"):
                if state[key] is not None:
                    try:
                        dt.date.fromisoformat(state[key])
                    except ValueError:
                        raise _OaiProblemError("badArgument", f"Illegal date format for {key}: {state[key]!r}") from None
            if state["from"] and state["until"] and state["from"] > state["until"]:
                raise _OaiProblemError("badArgument", "from must be before until")
            if state["metadataPrefix"] not in FORMATS:
                raise _OaiProblemError("cannotDisseminateFormat", f"Format {state['metadataPrefix']!r} not supported")
            if state["set"]:
                group = state["set"].split(":")[0]
                if group not in GROUPS:
                    raise _OaiProblemError("badArgument", f"Unknown set {state['set']!r}")
        selected = self.archive.select(state["from"], state["until"], state["set"])
        if not selected:
            raise _OaiProblemError("noRecordsMatch", "No records match the request")
        offset = int(state["offset"])
        page = selected[offset : offset + self.page_size]
        items = "".join(self._record(e, state["metadataPrefix"], header_only) for e in page)
        next_offset = offset + len(page)
        token = ""
        if next_offset < len(selected):
            tomorrow = dt.datetime.combine(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1), dt.time(), dt.UTC)
            next_state = dict(state, offset=next_offset, expires=tomorrow.timestamp())
            token = (
                f'<resumptionToken cursor="{offset}" completeListSize="{len(selected)}">'
                f"{_encode_token(next_state)}</resumptionToken>"
            )
        elif offset:
            token = f'<resumptionToken cursor="{offset}" completeListSize="{len(selected)}"/>'
        return f"<{verb}>{items}{token}</{verb}>"


class _OaiProblemError(DevstackError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _encode_token(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _decode_token(token: str) -> dict[str, Any] | None:
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, json.JSONDecodeError):
        return None
    return state if isinstance(state, dict) and "offset" in state and "expires" in state else None


class _Handler(BaseHTTPRequestHandler):
    replay: OaiReplayServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        replay = self.replay
        with replay.log.lock:
            replay.log.times.append(time.monotonic())
            replay.log.queries.append(urlsplit(self.path).query)
            number = len(replay.log.times)
        parsed = urlsplit(self.path)
        if parsed.path not in ("/oai", "/oai/"):
            self._send(404, {"Content-Type": "text/plain"}, b"not found: use /oai")
            return
        query = {k: v[-1] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
        status, headers, body = replay.respond(query, number)
        if number in replay.faults.reset_on:
            self._reset_mid_body(status, headers, body)
            return
        self._send(status, headers, body)

    def _reset_mid_body(self, status: int, headers: dict[str, str], body: bytes) -> None:
        """Announce the whole body, send half of it, then reset the connection (SO_LINGER 0 sends RST)."""
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test); nothing to do

    def log_message(self, format: str, *args: Any) -> None:
        return
