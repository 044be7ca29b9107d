"""Harvest errors: the ``HarvestError`` subtree of ``arxiv_labeler.errors``, one class per OAI-PMH error code.

::

    HarvestError                  (arxiv_labeler.errors)
    +-- OaiError [permanent]      the server answered with <error code="...">: the same request gets the same answer
    |   +-- BadArgument, BadResumptionToken, BadVerb, CannotDisseminateFormat,
    |   +-- IdDoesNotExist, NoMetadataFormats, NoRecordsMatch, NoSetHierarchy
    +-- OaiHttpError              HTTP failure after the retries ran out
    +-- MalformedResponse         the page is not well-formed OAI-PMH XML (truncated: a retry resumes)
    +-- SnapshotError [permanent] (arxiv_labeler.errors) a Kaggle-snapshot JSONL that cannot be read
"""

from __future__ import annotations

from arxiv_labeler.errors import HarvestError, PermanentError


class OaiError(HarvestError, PermanentError):
    """An OAI-PMH protocol error returned by the repository."""

    code = "unknown"

    def __init__(self, message: str, url: str = "") -> None:
        super().__init__(f"OAI error {self.code}: {message}" + (f" ({url})" if url else ""))
        self.oai_message = message
        self.url = url


class BadArgument(OaiError):
    """Illegal or missing arguments."""

    code = "badArgument"


class BadResumptionToken(OaiError):
    """Invalid or expired resumption token (expires at UTC midnight)."""

    code = "badResumptionToken"


class BadVerb(OaiError):
    """Unknown verb."""

    code = "badVerb"


class CannotDisseminateFormat(OaiError):
    """The metadata prefix is not supported."""

    code = "cannotDisseminateFormat"


class IdDoesNotExist(OaiError):
    """No record with that identifier."""

    code = "idDoesNotExist"


class NoMetadataFormats(OaiError):
    """No formats for that item."""

    code = "noMetadataFormats"


class NoRecordsMatch(OaiError):
    """The query selects nothing: an empty day, not a failure."""

    code = "noRecordsMatch"


class NoSetHierarchy(OaiError):
    """The repository has no sets."""

    code = "noSetHierarchy"


OAI_ERRORS: dict[str, type[OaiError]] = {
    cls.code: cls
    for cls in (
        BadArgument,
        BadResumptionToken,
        BadVerb,
        CannotDisseminateFormat,
        IdDoesNotExist,
        NoMetadataFormats,
        NoRecordsMatch,
        NoSetHierarchy,
    )
}


class OaiHttpError(HarvestError):
    """The endpoint kept failing (status or network) after the configured retries."""


class MalformedResponse(HarvestError):
    """A page that does not parse; names the URL and the parser's message."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"malformed OAI-PMH response from {url}: {detail}")
        self.url = url
