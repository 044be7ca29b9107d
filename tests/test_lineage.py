"""OpenLineage datasets built for each stage (what the provider sends)."""

from __future__ import annotations

from arxiv_labeler.lineage import harvest_lineage, model_lineage, warehouse_lineage, warehouse_namespace


def test_model_and_oai_inputs() -> None:
    (model,) = model_lineage("s3://auxdata.johnsnowlabs.com/public/models/arxiv_classifier.zip").inputs
    assert (model.namespace, model.name) == ("s3://auxdata.johnsnowlabs.com", "public/models/arxiv_classifier.zip")
    inputs = harvest_lineage("https://oaipmh.arxiv.org/oai", ["cs", "physics:astro-ph"]).inputs
    assert [(d.namespace, d.name) for d in inputs] == [
        ("https://oaipmh.arxiv.org/oai", "cs"),
        ("https://oaipmh.arxiv.org/oai", "physics:astro-ph"),
    ]
    assert [d.name for d in harvest_lineage("https://oaipmh.arxiv.org/oai", []).inputs] == ["all"]


def test_warehouse_outputs_carry_schema_and_row_counts_without_credentials() -> None:
    lineage = warehouse_lineage("postgresql://user:secret@db.internal:5432/warehouse", {"arxiv_paper_labels": 12})
    outputs = {d.name: d for d in lineage.outputs}
    assert set(outputs) == {"arxiv_papers", "arxiv_paper_labels", "arxiv_pipeline_runs"}
    labels = outputs["arxiv_paper_labels"]
    assert labels.namespace == "postgres://db.internal:5432" and "secret" not in labels.namespace
    assert labels.outputFacets["outputStatistics"].rowCount == 12
    assert "raw_label" in [f.name for f in labels.facets["schema"].fields]
    assert warehouse_namespace("duckdb:///data/w.duckdb") == "duckdb:///data/w.duckdb"
