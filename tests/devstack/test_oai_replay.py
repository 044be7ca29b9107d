"""The replay server speaks OAI-PMH as arXiv does."""

from __future__ import annotations

import urllib.request

import pytest
from arxiv_labeler.devstack.oai_replay import OaiReplayServer, ReplayArchive
from arxiv_labeler.harvest.parser import parse_xml

from tests.conftest import DEMO_JSONL

NS = "{http://www.openarchives.org/OAI/2.0/}"


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    with OaiReplayServer(ReplayArchive.from_file(DEMO_JSONL), page_size=5) as running:
        yield running


def get(server: OaiReplayServer, query: str) -> bytes:
    with urllib.request.urlopen(f"{server.url}?{query}", timeout=5) as response:
        assert response.status == 200
        return response.read()


def test_identify(server: OaiReplayServer) -> None:
    root = parse_xml(get(server, "verb=Identify"), "u")
    assert root.find(f"{NS}Identify/{NS}granularity").text == "YYYY-MM-DD"  # type: ignore[union-attr]
    assert root.find(f"{NS}Identify/{NS}deletedRecord").text == "persistent"  # type: ignore[union-attr]


@pytest.mark.parametrize("prefix", ["arXivRaw", "arXiv", "oai_dc"])
def test_get_record_in_each_format(server: OaiReplayServer, prefix: str) -> None:
    body = get(server, f"verb=GetRecord&identifier=oai:arXiv.org:math/0601001&metadataPrefix={prefix}")
    assert b"Ricci flow" in body


def test_list_sets_and_metadata_formats(server: OaiReplayServer) -> None:
    assert b"<setSpec>physics:hep-th</setSpec>" in get(server, "verb=ListSets")
    assert b"<metadataPrefix>arXivRaw</metadataPrefix>" in get(server, "verb=ListMetadataFormats")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("verb=Nope", "badVerb"),
        ("verb=ListRecords", "badArgument"),
        ("verb=ListRecords&metadataPrefix=marc", "cannotDisseminateFormat"),
        ("verb=ListRecords&metadataPrefix=arXiv&from=2001-01-01&until=2001-01-02", "noRecordsMatch"),
        ("verb=ListRecords&resumptionToken=garbage", "badResumptionToken"),
        ("verb=ListRecords&metadataPrefix=arXiv&from=20-11-2026", "badArgument"),
        ("verb=GetRecord&identifier=oai:arXiv.org:9999.99999&metadataPrefix=arXiv", "idDoesNotExist"),
    ],
)
def test_errors_come_back_as_200_with_a_code(server: OaiReplayServer, query: str, code: str) -> None:
    assert f'<error code="{code}">'.encode() in get(server, query)


def test_paging_with_resumption_tokens(server: OaiReplayServer) -> None:
    seen, query = [], "verb=ListIdentifiers&metadataPrefix=arXiv&from=2026-11-18&until=2026-11-20"
    while query:
        root = parse_xml(get(server, query), "u")
        listing = root.find(f"{NS}ListIdentifiers")
        seen += [h.findtext(f"{NS}identifier") for h in listing.findall(f"{NS}header")]  # type: ignore[union-attr]
        token = listing.find(f"{NS}resumptionToken")  # type: ignore[union-attr]
        query = f"verb=ListIdentifiers&resumptionToken={token.text}" if token is not None and token.text else ""
    assert len(seen) == len(set(seen)) == 24
