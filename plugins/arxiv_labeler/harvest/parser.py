"""OAI-PMH ListRecords pages (arXivRaw, arXiv) to records, parsed without entity expansion."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from arxiv_labeler.harvest.authors import parse_authors
from arxiv_labeler.harvest.exceptions import OAI_ERRORS, MalformedResponse, OaiError
from arxiv_labeler.harvest.kaggle import rfc2822_date
from arxiv_labeler.harvest.models import PaperRecord
from arxiv_labeler.text import clean_text

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIV_RAW_NS = "http://arxiv.org/OAI/arXivRaw/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
METADATA_PREFIXES = ("arXivRaw", "arXiv")


@dataclass
class ListRecordsPage:
    """One parsed page: records (deletions included) and the token for the next page."""

    records: list[PaperRecord] = field(default_factory=list)
    resumption_token: str | None = None
    complete_list_size: int | None = None


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _text(parent: ET.Element, ns: str, tag: str) -> str | None:
    node = parent.find(_q(ns, tag))
    if node is None or node.text is None:
        return None
    return clean_text(node.text) or None


def parse_xml(content: bytes, url: str) -> ET.Element:
    """Parse with entity expansion, DTDs and external references forbidden.

    Raises:
        MalformedResponse: not well-formed, or it tried entities or a DTD.
    """
    try:
        root = fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise MalformedResponse(url, f"{type(exc).__name__}: {exc}") from exc
    if root.tag != _q(OAI_NS, "OAI-PMH"):
        raise MalformedResponse(url, f"root element is {root.tag}, expected OAI-PMH")
    return root


def raise_oai_error(root: ET.Element, url: str) -> None:
    """Raise the matching :class:`OaiError` subclass if the page carries ``<error>``."""
    error = root.find(_q(OAI_NS, "error"))
    if error is None:
        return
    code = error.get("code", "unknown")
    cls = OAI_ERRORS.get(code, OaiError)
    exc = cls((error.text or "").strip(), url)
    if cls is OaiError:
        exc.code = code
    raise exc


def _version_date(version: ET.Element) -> dt.date | None:
    date = _text(version, ARXIV_RAW_NS, "date")
    return rfc2822_date(date) if date else None


def _is_withdrawn(version: ET.Element) -> bool:
    """ArXivRaw flags a withdrawn version with ``I`` among the letters of its ``source_type``."""
    return "I" in (_text(version, ARXIV_RAW_NS, "source_type") or "").upper()


def _arxiv_raw(metadata: ET.Element, datestamp: dt.date) -> PaperRecord:
    ns = ARXIV_RAW_NS
    versions = metadata.findall(_q(ns, "version"))
    # created is the v1 date; a record that does not list v1 cannot tell it (null, not a guess).
    # The current version is the highest listed: is_new (current == v1) follows from its number.
    v1 = next((v for v in versions if v.get("version") == "v1"), None)
    current = max(versions, key=lambda v: int((v.get("version") or "v1").lstrip("v") or 1), default=None)
    authors = parse_authors(_text(metadata, ns, "authors"))
    return PaperRecord(
        arxiv_id=(_text(metadata, ns, "id") or ""),
        datestamp=datestamp,
        version=int((current.get("version") or "v1").lstrip("v") or 1) if current is not None else None,
        created=_version_date(v1) if v1 is not None else None,
        updated=_version_date(current) if current is not None else None,
        title=_text(metadata, ns, "title") or "",
        abstract=_text(metadata, ns, "abstract") or "",
        authors=[a.name for a in authors],
        affiliations=[a.affiliation for a in authors],
        categories=(_text(metadata, ns, "categories") or "").split(),
        comments=_text(metadata, ns, "comments"),
        journal_ref=_text(metadata, ns, "journal-ref"),
        doi=_text(metadata, ns, "doi"),
        license=_text(metadata, ns, "license"),
        withdrawn=_is_withdrawn(current) if current is not None else None,
    )


def _arxiv(metadata: ET.Element, datestamp: dt.date) -> PaperRecord:
    ns = ARXIV_NS
    authors, affiliations = [], []
    for author in metadata.iter(_q(ns, "author")):
        parts = [_text(author, ns, t) for t in ("forenames", "keyname", "suffix")]
        authors.append(" ".join(p for p in parts if p))
        places = [clean_text(a.text) for a in author.findall(_q(ns, "affiliation")) if a.text]
        affiliations.append("; ".join(places) if places else None)
    # arXiv's server writes the current version's metadata row: <created> is that version's submission
    # date (v1's only when it is v1), <updated> the row's last edit (a journal-ref, say), not a version date.
    current_version_date = _text(metadata, ns, "created")
    return PaperRecord(
        arxiv_id=(_text(metadata, ns, "id") or ""),
        datestamp=datestamp,
        version=None,  # the arXiv format does not say; arXivRaw does
        created=None,  # the v1 date: the arXiv format does not carry it
        updated=dt.date.fromisoformat(current_version_date) if current_version_date else None,
        title=_text(metadata, ns, "title") or "",
        abstract=_text(metadata, ns, "abstract") or "",
        authors=authors,
        affiliations=affiliations,
        categories=(_text(metadata, ns, "categories") or "").split(),
        comments=_text(metadata, ns, "comments"),
        journal_ref=_text(metadata, ns, "journal-ref"),
        doi=_text(metadata, ns, "doi"),
        license=_text(metadata, ns, "license"),
        withdrawn=None,  # the arXiv format carries no withdrawal flag
    )


def parse_identify(content: bytes, url: str) -> dict[str, str]:
    """An ``Identify`` answer as {element: text}.

    Raises:
        MalformedResponse: bad XML or no Identify element.
    """
    root = parse_xml(content, url)
    raise_oai_error(root, url)
    identify = root.find(_q(OAI_NS, "Identify"))
    if identify is None:
        raise MalformedResponse(url, "no Identify element")
    return {child.tag.split("}")[-1]: (child.text or "").strip() for child in identify}


def parse_list_sets(content: bytes, url: str) -> tuple[list[str], str | None]:
    """A ``ListSets`` page: (setSpecs, resumption token or None)."""
    root = parse_xml(content, url)
    raise_oai_error(root, url)
    node = root.find(_q(OAI_NS, "ListSets"))
    if node is None:
        raise MalformedResponse(url, "no ListSets element")
    specs = [(s.findtext(_q(OAI_NS, "setSpec")) or "").strip() for s in node.findall(_q(OAI_NS, "set"))]
    token = (node.findtext(_q(OAI_NS, "resumptionToken")) or "").strip() or None
    return [s for s in specs if s], token


def parse_list_records(content: bytes, url: str, metadata_prefix: str = "arXivRaw") -> ListRecordsPage:
    """Parse a ListRecords page.

    Raises:
        MalformedResponse: bad XML or a record missing its id or datestamp.
        OaiError: the page is an OAI error (``NoRecordsMatch`` included; callers decide).
    """
    root = parse_xml(content, url)
    raise_oai_error(root, url)
    list_records = root.find(_q(OAI_NS, "ListRecords"))
    if list_records is None:
        raise MalformedResponse(url, "no ListRecords element and no error")
    page = ListRecordsPage()
    parse_metadata = _arxiv_raw if metadata_prefix == "arXivRaw" else _arxiv
    for record in list_records.findall(_q(OAI_NS, "record")):
        header = record.find(_q(OAI_NS, "header"))
        identifier = header.findtext(_q(OAI_NS, "identifier")) if header is not None else None
        stamp = header.findtext(_q(OAI_NS, "datestamp")) if header is not None else None
        if header is None or not identifier or not stamp:
            raise MalformedResponse(url, "record without header identifier or datestamp")
        try:
            datestamp = dt.date.fromisoformat(stamp.strip())
            if header.get("status") == "deleted":
                page.records.append(
                    PaperRecord(arxiv_id=identifier.strip().removeprefix("oai:arXiv.org:"), datestamp=datestamp, deleted=True)
                )
                continue
            metadata = record.find(_q(OAI_NS, "metadata"))
            content_node = metadata[0] if metadata is not None and len(metadata) else None
            if content_node is None:
                raise MalformedResponse(url, f"{identifier}: record has no metadata")
            paper = parse_metadata(content_node, datestamp)
        except (ValueError, TypeError) as exc:
            raise MalformedResponse(url, f"{identifier}: {exc}") from exc
        if not paper.arxiv_id:
            paper.arxiv_id = identifier.strip().removeprefix("oai:arXiv.org:")
        page.records.append(paper)
    token = list_records.find(_q(OAI_NS, "resumptionToken"))
    if token is not None:
        page.resumption_token = (token.text or "").strip() or None
        size = token.get("completeListSize")
        page.complete_list_size = int(size) if size and size.isdigit() else None
    return page
