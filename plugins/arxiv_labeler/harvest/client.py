"""``OaiClient``: one polite HTTP connection to an OAI-PMH endpoint.

arXiv's terms: one connection, at least 3 s between requests, honour
``Retry-After`` on 503/429. The delay can only be raised, except against a
loopback endpoint (the local replay server), where tests may go faster.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from arxiv_labeler import settings
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.harvest.exceptions import OaiHttpError

log = logging.getLogger(__name__)
# arXiv's pages are a few MB; anything far larger is not a page and must not be held in memory.
MAX_PAGE_BYTES = 64 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for timeouts, connection errors and 429/5xx."""

    max_retries: int = 5
    backoff_seconds: float = 10.0
    max_backoff_seconds: float = 600.0
    default_retry_after: float = 30.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.backoff_seconds < 0 or self.max_backoff_seconds < self.backoff_seconds:
            raise ConfigError(
                f"need 0 <= backoff_seconds <= max_backoff_seconds, got {self.backoff_seconds}, {self.max_backoff_seconds}"
            )


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def connection_failure_cause(exc: BaseException) -> str:
    """A short cause for a failed request: DNS lookup, connection refused, timeout, or the error itself."""
    text = str(exc)
    if isinstance(exc, requests.Timeout):
        return "timed out" + (" connecting" if isinstance(exc, requests.ConnectTimeout) else " reading the answer")
    if "NameResolutionError" in text or "Name or service not known" in text or "getaddrinfo failed" in text:
        return "DNS lookup failed (unknown host)"
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return "connection refused (nothing listening at that host and port)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in text:
        return "connection cut mid-answer (incomplete body)"
    if "Connection reset" in text or "RemoteDisconnected" in text:
        return "connection reset by the server"
    return f"{type(exc).__name__}: {text[:200]}"


def is_loopback(url: str) -> bool:
    """Whether the URL's host is this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OaiClient:
    """GET requests to one OAI-PMH endpoint, spaced, retried, over one keep-alive connection."""

    def __init__(
        self,
        endpoint: str = settings.ARXIV_OAI_ENDPOINT,
        delay_seconds: float = settings.MIN_OAI_DELAY_SECONDS,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = "arxiv-labeler/0.1 (Apache Airflow plugin)",
        max_page_bytes: int = MAX_PAGE_BYTES,
    ) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ConfigError(f"OAI endpoint must be an http(s) URL, got {endpoint!r}")
        if delay_seconds < settings.MIN_OAI_DELAY_SECONDS and not is_loopback(endpoint):
            raise ConfigError(
                f"delay_seconds={delay_seconds} is below arXiv's limit of {settings.MIN_OAI_DELAY_SECONDS} s between requests; "
                "it can only be raised (lower values are allowed for a loopback replay server only)"
            )
        self.endpoint = endpoint
        self.delay_seconds = delay_seconds
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry or RetryPolicy()
        self.max_page_bytes = max_page_bytes
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None
        self._lock = threading.Lock()  # one request at a time, even if shared by threads
        self._session = requests.Session()
        self._session.headers["User-Agent"] = user_agent
        # One connection: no pool growth.
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self.requests_made = 0

    def url_for(self, params: Mapping[str, str]) -> str:
        """The full request URL for ``params`` (for logs and error messages)."""
        return f"{self.endpoint}?{urlencode(params)}"

    def _wait_turn(self, extra: float = 0.0) -> None:
        if self._last_request is not None:
            remaining = self._last_request + max(self.delay_seconds, extra) - self._clock()
            if remaining > 0:
                self._sleep(remaining)
        elif extra > 0:
            self._sleep(extra)

    def get(self, params: Mapping[str, str]) -> bytes:
        """GET the endpoint with ``params``; returns the body of a 200.

        Raises:
            OaiHttpError: a non-retryable status, an answer larger than ``max_page_bytes``, a
                ``Retry-After`` longer than the retry policy may wait, or retries exhausted
                (each names the URL and the cause).
        """
        url = self.url_for(params)
        wait_extra = 0.0
        last_problem = ""
        with self._lock:
            for attempt in range(self.retry.max_retries + 1):
                self._wait_turn(wait_extra)
                self.requests_made += 1
                try:
                    status, headers, body = self._exchange(params, url)
                except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                    self._last_request = self._clock()
                    last_problem = connection_failure_cause(exc)
                    if attempt == self.retry.max_retries:
                        break
                    wait_extra = self._backoff(attempt)
                    log.warning(
                        "OAI request to %s failed (%s), attempt %d of %d: retrying in %.0f s (%d more times, at most %.0f s)",
                        url,
                        last_problem,
                        attempt + 1,
                        self.retry.max_retries + 1,
                        wait_extra,
                        self.retry.max_retries - attempt,
                        self.max_wait_seconds(),
                    )
                    continue
                # Spacing counts from the end of the previous exchange: the server never sees two closer than the delay.
                self._last_request = self._clock()
                if status == 200:
                    return body
                last_problem = f"HTTP {status}"
                if status not in RETRY_STATUSES:
                    raise OaiHttpError(f"{url}: HTTP {status}: {body[:200].decode('utf-8', 'replace')}")
                header = headers.get("Retry-After")
                retry_after = parse_retry_after(header)
                if retry_after is not None and retry_after > self.retry.max_backoff_seconds:
                    # Waiting less than asked would be impolite; waiting longer would hold the task: fail, name the wait.
                    raise OaiHttpError(
                        f"{url}: HTTP {status} asks to wait {retry_after:.0f} s (Retry-After {header!r}), longer than "
                        f"this task waits ({self.retry.max_backoff_seconds:.0f} s, max_backoff_seconds); "
                        "the task's own retry will try again later"
                    )
                if retry_after is None:
                    retry_after = self.retry.default_retry_after if status in (429, 503) else self._backoff(attempt)
                wait_extra = min(retry_after, self.retry.max_backoff_seconds)
                log.warning(
                    "OAI %s, attempt %d, waiting %.0f s (Retry-After %r): %s", last_problem, attempt + 1, wait_extra, header, url
                )
        raise OaiHttpError(f"{url}: gave up after {self.retry.max_retries + 1} attempts; last: {last_problem}")

    def _exchange(self, params: Mapping[str, str], url: str) -> tuple[int, Mapping[str, str], bytes]:
        """One request; the body is read in chunks and refused past ``max_page_bytes`` (bounded memory)."""
        with self._session.get(self.endpoint, params=params, timeout=self.timeout, stream=True) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_page_bytes:
                raise OaiHttpError(self._too_large(url, f"it declares {int(declared)} bytes"))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(chunk_size=1 << 20):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_page_bytes:
                    raise OaiHttpError(self._too_large(url, f"more than {self.max_page_bytes} bytes were sent"))
            return response.status_code, response.headers, b"".join(chunks)

    def _too_large(self, url: str, what: str) -> str:
        return (
            f"{url}: answer refused, {what}; the limit is {self.max_page_bytes} bytes per page "
            "(max_page_bytes: an OAI page is a few MB, so this is not a page)"
        )

    def max_wait_seconds(self) -> float:
        """The longest the retries can wait in all (backoffs capped; a Retry-After counts up to the cap)."""
        return sum(max(self._backoff(a), self.delay_seconds) for a in range(self.retry.max_retries))

    def identify(self) -> dict[str, str]:
        """The repository's ``Identify`` answer as {element: text} (``earliestDatestamp``, ``granularity``, ...)."""
        from arxiv_labeler.harvest.parser import parse_identify

        params = {"verb": "Identify"}
        return parse_identify(self.get(params), self.url_for(params))

    def list_sets(self) -> list[str]:
        """Every ``setSpec`` the repository lists (``ListSets``, resumption tokens followed)."""
        from arxiv_labeler.harvest.parser import parse_list_sets

        specs: list[str] = []
        params = {"verb": "ListSets"}
        while True:
            page, token = parse_list_sets(self.get(params), self.url_for(params))
            specs.extend(page)
            if not token:
                return specs
            params = {"verb": "ListSets", "resumptionToken": token}

    def _backoff(self, attempt: int) -> float:
        return min(self.retry.backoff_seconds * (2**attempt), self.retry.max_backoff_seconds)

    def close(self) -> None:
        """Close the keep-alive connection."""
        self._session.close()


# The options of a polite client, as the ``arxiv_oai`` connection's extras and the CLI's flags name them.
OAI_CLIENT_OPTIONS: dict[str, type] = {
    "delay_seconds": float,
    "read_timeout": float,
    "max_retries": int,
    "backoff_seconds": float,
    "max_backoff_seconds": float,
}


def oai_client(endpoint: str | None = None, options: Mapping[str, Any] | None = None) -> OaiClient:
    """The polite client for ``endpoint`` (arXiv's by default) with ``options`` (see ``OAI_CLIENT_OPTIONS``).

    The Airflow hook passes the ``arxiv_oai`` connection's extras and the CLI its flags, so both
    get the same names, defaults and checks.

    Raises:
        ConfigError: an unknown option (a typo in the extras) or a value that is not a number.
    """
    given = dict(options or {})
    unknown = sorted(set(given) - set(OAI_CLIENT_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown OAI client options {unknown}; allowed: {sorted(OAI_CLIENT_OPTIONS)}")
    values: dict[str, Any] = {}
    for name, kind in OAI_CLIENT_OPTIONS.items():
        if given.get(name) is None:
            continue
        try:
            values[name] = kind(given[name])
        except (TypeError, ValueError):
            raise ConfigError(f"OAI client option {name} must be a number, got {given[name]!r}") from None
    backoff = values.get("backoff_seconds", 10.0)
    retry = RetryPolicy(
        max_retries=values.get("max_retries", 5),
        backoff_seconds=backoff,
        max_backoff_seconds=values.get("max_backoff_seconds", max(600.0, backoff)),
    )
    return OaiClient(
        endpoint or settings.ARXIV_OAI_ENDPOINT,
        delay_seconds=values.get("delay_seconds", settings.MIN_OAI_DELAY_SECONDS),
        read_timeout=values.get("read_timeout", 120.0),
        retry=retry,
    )
