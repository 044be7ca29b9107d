"""arXiv's taxonomy: which labels are its groups or categories, aliases, set names."""

from __future__ import annotations

import json

import pytest
from arxiv_labeler.harvest.taxonomy import GROUPS, arxiv_categories, canonical_category, label_mapping

from tests.conftest import SAMPLE_JSONL


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (list(GROUPS), "groups"),
        (["physics", "cs", "math"], "groups"),  # a subset of the groups still maps label for label
        (["cs.LG", "hep-th", "math.MP", "astro-ph.GA", "cond-mat.mes-hall", "physics.optics"], "categories"),
        (["chao-dyn", "alg-geom", "astro-ph"], "categories"),  # retired and undivided archives on old papers
        (["cs", "cs.LG"], None),  # a mix is neither
        (["Computer Science", "Mathematics"], None),
        (["CS"], None),  # labels are compared as they are: no guessing at case
        ([], None),
    ],
)
def test_label_mapping(labels: list[str], expected: str | None) -> None:
    assert label_mapping(labels) == expected


def test_aliases_compare_as_the_name_arxiv_files_them_under() -> None:
    assert [canonical_category(c) for c in ("math.MP", "stat.TH", "cs.SY", "hep-th")] == [
        "math-ph",
        "math.ST",
        "eess.SY",
        "hep-th",
    ]


@pytest.mark.skipif(not SAMPLE_JSONL.exists(), reason="needs ../shared/data/arxiv-metadata-sample.jsonl")
def test_every_category_of_the_real_sample_is_known() -> None:
    seen = {c for line in SAMPLE_JSONL.read_text(encoding="utf-8").splitlines() for c in json.loads(line)["categories"].split()}
    assert seen <= arxiv_categories() and len(seen) > 100
