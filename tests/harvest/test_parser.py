"""OAI-PMH pages: records, deletions, errors, and XML attacks refused."""

from __future__ import annotations

import datetime as dt

import pytest
from arxiv_labeler.harvest.exceptions import BadResumptionToken, MalformedResponse, NoRecordsMatch, OaiError
from arxiv_labeler.harvest.parser import parse_list_records

HEAD = '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-21T00:00:00Z</responseDate>'

RAW_RECORD = """<record><header><identifier>oai:arXiv.org:0704.0010</identifier><datestamp>2026-11-20</datestamp></header>
<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>0704.0010</id>
<version version="v1"><date>Mon, 2 Apr 2007 19:18:42 GMT</date></version>
<version version="v3"><date>Thu, 20 Nov 2026 10:00:00 GMT</date></version>
<title>A   title
  over lines</title><authors>A. One, B. Two and C. Three</authors><categories>math.CO cs.DM</categories>
<journal-ref>J. Comb. 1 (2026)</journal-ref><abstract>  An abstract with $\\alpha$-stable
 TeX. </abstract></arXivRaw></metadata></record>"""


def page(body: str) -> bytes:
    return (HEAD + body + "</OAI-PMH>").encode()


def test_arxiv_raw_record() -> None:
    result = parse_list_records(
        page(f'<ListRecords>{RAW_RECORD}<resumptionToken completeListSize="5">tok|1</resumptionToken></ListRecords>'), "u"
    )
    (record,) = result.records
    assert record.arxiv_id == "0704.0010"  # stays a string
    assert (record.version, record.created, record.updated) == (3, dt.date(2007, 4, 2), dt.date(2026, 11, 20))
    assert record.title == "A title over lines" and record.abstract == "An abstract with $\\alpha$-stable TeX."
    assert record.categories == ["math.CO", "cs.DM"] and record.primary_category == "math.CO" and record.group == "math"
    assert record.authors == ["A. One", "B. Two", "C. Three"] and record.journal_ref == "J. Comb. 1 (2026)"
    assert (result.resumption_token, result.complete_list_size) == ("tok|1", 5)


def test_arxiv_format_record() -> None:
    body = """<ListRecords><record><header><identifier>oai:arXiv.org:hep-th/9901001</identifier><datestamp>2026-11-20</datestamp></header>
    <metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>hep-th/9901001</id><created>1999-01-04</created><updated>2026-11-19</updated>
    <authors><author><keyname>Witten</keyname><forenames>Edward</forenames></author></authors><title>T</title>
    <categories>hep-th</categories><abstract>A.</abstract></arXiv></metadata></record></ListRecords>"""
    (record,) = parse_list_records(page(body), "u", "arXiv").records
    assert record.arxiv_id == "hep-th/9901001" and record.authors == ["Edward Witten"] and record.group == "physics"
    # <created> is the current version's date (arXiv's server), <updated> a metadata edit: no v1 date here.
    assert record.created is None and record.updated == dt.date(1999, 1, 4)


def test_deleted_record_is_a_deletion() -> None:
    body = '<ListRecords><record><header status="deleted"><identifier>oai:arXiv.org:2611.00001</identifier><datestamp>2026-11-20</datestamp></header></record></ListRecords>'
    (record,) = parse_list_records(page(body), "u").records
    assert record.deleted and record.arxiv_id == "2611.00001"


@pytest.mark.parametrize(("code", "cls"), [("noRecordsMatch", NoRecordsMatch), ("badResumptionToken", BadResumptionToken)])
def test_oai_errors_map_to_classes(code: str, cls: type[OaiError]) -> None:
    with pytest.raises(cls, match=f"OAI error {code}: nothing here \\(http://x\\)"):
        parse_list_records(page(f'<error code="{code}">nothing here</error>'), "http://x")


def test_billion_laughs_refused() -> None:
    attack = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><OAI-PMH>&lol2;</OAI-PMH>'
    with pytest.raises(MalformedResponse, match="malformed OAI-PMH response from http://x"):
        parse_list_records(attack, "http://x")


def test_external_entity_refused() -> None:
    attack = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">&xxe;</OAI-PMH>'
    with pytest.raises(MalformedResponse):
        parse_list_records(attack, "http://x")


def test_truncated_page_names_url_and_parser_message() -> None:
    content = page(f"<ListRecords>{RAW_RECORD}</ListRecords>")
    with pytest.raises(MalformedResponse, match=r"from http://x/oai\?verb=ListRecords: ParseError: .*line"):
        parse_list_records(content[: len(content) // 2], "http://x/oai?verb=ListRecords")
