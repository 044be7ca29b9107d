"""Harvested fields as arXiv means them: authors and affiliations, withdrawn versions, v1 dates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from arxiv_labeler.harvest.authors import Author, parse_authors
from arxiv_labeler.harvest.models import records_table
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


def test_arxivraw_page_gives_names_affiliations_withdrawn_and_v1_dates() -> None:
    page = parse_list_records((FIXTURES / "arxivraw-fields.xml").read_bytes(), "http://oai", "arXivRaw")
    first, withdrawn, no_v1 = page.records
    assert first.authors == ["A. One", "B. Two", "C. Three"]
    assert first.affiliations == ["Some Institute, City", "Some Institute, City; Other Lab", "Other Lab"]
    assert (first.created, first.withdrawn) == (DAY, False)
    assert withdrawn.withdrawn is True and withdrawn.version == 2
    assert withdrawn.created == dt.date(2025, 11, 3) and withdrawn.updated == DAY
    assert no_v1.created is None and no_v1.version == 3 and no_v1.withdrawn is False
    assert no_v1.authors == ["D. Four Jr.", "E. Five"]

    table = records_table(page.records, DAY, DAY, DAY).to_pylist()
    assert [r["is_new"] for r in table] == [True, False, None]  # unknown v1: null, never a guess
    assert [r["withdrawn"] for r in table] == [False, True, False]


def test_arxiv_format_agrees_with_arxivraw_on_is_new() -> None:
    raw = parse_list_records((FIXTURES / "arxivraw-fields.xml").read_bytes(), "http://oai", "arXivRaw")
    plain = parse_list_records((FIXTURES / "arxiv-fields.xml").read_bytes(), "http://oai", "arXiv")
    raw_new = {r["arxiv_id"]: r["is_new"] for r in records_table(raw.records, DAY, DAY, DAY).to_pylist()}
    for row in records_table(plain.records, DAY, DAY, DAY).to_pylist():
        assert row["is_new"] == raw_new[row["arxiv_id"]]
        assert row["withdrawn"] is None  # the arXiv format cannot tell
    assert plain.records[0].affiliations == ["Some Institute, City", "Some Institute, City; Other Lab", None]
