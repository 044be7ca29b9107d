"""Harvested fields as arXiv means them: authors and affiliations, withdrawn versions, v1 dates, new papers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from arxiv_labeler.harvest.authors import Author, parse_authors
from arxiv_labeler.harvest.kaggle import to_record
from arxiv_labeler.harvest.models import PaperRecord, landed_table
from arxiv_labeler.harvest.parser import parse_list_records

from tests.conftest import SAMPLE_JSONL

FIXTURES = Path(__file__).parent / "fixtures"
DAY = dt.date(2026, 11, 19)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "A. One (1), B. Two (1 and 2) ((1) Some Institute, (2) Other Lab)",
            [Author("A. One", "Some Institute"), Author("B. Two", "Some Institute; Other Lab")],
        ),
        ("A. One (Inst, City), B. Two", [Author("A. One", "Inst, City"), Author("B. Two")]),
        ("A. One and B. Two", [Author("A. One"), Author("B. Two")]),
        ("A. One, B. Two, and C. Three", [Author("A. One"), Author("B. Two"), Author("C. Three")]),
        ("P. Romano (5,6) ((5) INAF, (6) Univ. Bologna)", [Author("P. Romano", "INAF; Univ. Bologna")]),
        ("A. One (1,2) B. Two (3)", [Author("A. One", "1; 2"), Author("B. Two", "3")]),
        ("D. Four, Jr., E. Five, et al", [Author("D. Four Jr."), Author("E. Five")]),
        ("CLEO Collaboration: T. K. Pedlar, et al", [Author("CLEO Collaboration"), Author("T. K. Pedlar")]),
        (
            "Bozhidar Z. Iliev (Institute for Nuclear Research and Nuclear Energy,\n  Sofia)",
            [Author("Bozhidar Z. Iliev", "Institute for Nuclear Research and Nuclear Energy, Sofia")],
        ),
        ("", []),
    ],
)
def test_authors_split_outside_parentheses(raw: str, expected: list[Author]) -> None:
    assert parse_authors(raw) == expected


@pytest.mark.skipif(not SAMPLE_JSONL.exists(), reason="needs ../shared/data/arxiv-metadata-sample.jsonl")
def test_author_counts_match_arxivs_own_parse_on_real_papers() -> None:
    entries = [json.loads(line) for line in SAMPLE_JSONL.read_text(encoding="utf-8").splitlines()]
    wrong = [e["id"] for e in entries if len(parse_authors(e["authors"])) != len(e["authors_parsed"])]
    # The two residual cases are the snapshot's own parse turning a "(1 - X; 2 - Y)" legend into an author.
    assert len(wrong) <= 2, wrong
    with_parentheses = [e for e in entries if "(" in e["authors"]]
    assert len(with_parentheses) > 100


def test_arxivraw_page_gives_names_affiliations_withdrawn_v1_dates_and_new() -> None:
    page = parse_list_records((FIXTURES / "arxivraw-fields.xml").read_bytes(), "http://oai", "arXivRaw")
    first, withdrawn, no_v1 = page.records
    assert first.authors == ["A. One", "B. Two", "C. Three"]
    assert first.affiliations == ["Some Institute, City", "Some Institute, City; Other Lab", "Other Lab"]
    assert (first.created, first.withdrawn) == (DAY, False)
    assert withdrawn.withdrawn is True and withdrawn.version == 2
    assert withdrawn.created == dt.date(2025, 11, 3) and withdrawn.updated == DAY
    assert no_v1.created is None and no_v1.version == 3 and no_v1.withdrawn is False
    assert no_v1.authors == ["D. Four Jr.", "E. Five"]

    table = landed_table(page.records, DAY).to_pylist()
    # New = the current version is v1; a record listing v2 and v3 only is still known not to be new.
    assert [r["is_new"] for r in table] == [True, False, False]
    assert [r["withdrawn"] for r in table] == [False, True, False]


def test_arxiv_format_tells_only_what_it_carries() -> None:
    page = parse_list_records((FIXTURES / "arxiv-fields.xml").read_bytes(), "http://oai", "arXiv")
    first, replaced, old_first = page.records
    # <created> is the current version's date: stored as updated, never as the v1 date.
    assert [r.created for r in page.records] == [None, None, None]
    assert [r.updated for r in page.records] == [DAY, DAY, dt.date(1999, 1, 4)]  # <updated> (a metadata edit) ignored
    rows = landed_table(page.records, DAY).to_pylist()
    # A v1 and an old v1 cannot be told from a v2 of the same month: null. 2511.00002's current
    # version is from November 2026, after its id's month: it cannot be v1.
    assert [r["is_new"] for r in rows] == [None, False, None]
    assert all(r["withdrawn"] is None for r in rows)  # the arXiv format cannot tell
    assert first.affiliations == ["Some Institute, City", "Some Institute, City; Other Lab", None]
    assert (replaced.arxiv_id, old_first.journal_ref) == ("2511.00002", "J. 1 (2026)")


@pytest.mark.parametrize(
    ("arxiv_id", "version", "updated", "expected"),
    [
        ("0704.0001", 1, None, True),
        ("0704.0001", 2, dt.date(2007, 4, 3), False),  # the version decides, when known
        ("0704.0001", None, dt.date(2007, 4, 30), None),  # same month as the id: could be v1
        ("0704.0001", None, dt.date(2007, 5, 1), False),  # after the id's month: cannot be v1
        ("hep-th/9901001", None, dt.date(2008, 1, 1), False),
        ("hep-th/9901001", None, None, None),
        ("not-an-id", None, dt.date(2030, 1, 1), None),
    ],
)
def test_is_new_is_the_current_version_being_the_first(
    arxiv_id: str, version: int | None, updated: dt.date | None, expected: bool | None
) -> None:
    record = PaperRecord(arxiv_id, DAY, version=version, updated=updated)
    assert record.is_new is expected


@pytest.mark.skipif(not SAMPLE_JSONL.exists(), reason="needs ../shared/data/arxiv-metadata-sample.jsonl")
def test_is_new_on_the_real_sample_follows_the_version_lists() -> None:
    entries = [json.loads(line) for line in SAMPLE_JSONL.read_text(encoding="utf-8").splitlines()]
    records = [to_record(e) for e in entries]
    assert [r.is_new for r in records] == [e["versions"][-1]["version"] == "v1" for e in entries]
