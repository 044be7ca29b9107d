"""OpenLineage datasets for the stages: the model object in S3, the OAI endpoint and set, the warehouse tables.

The operators' ``get_openlineage_facets_on_complete`` call these; Airflow's OpenLineage
provider sends the events through whatever transport is configured (file, console, HTTP).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from arxiv_labeler.model.fetch import S3Location

# Column names and types of the tables the load writes (what the schema facets describe).
TABLE_SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "arxiv_papers": [
        ("arxiv_id", "VARCHAR"),
        ("version", "INTEGER"),
        ("created", "DATE"),
        ("updated", "DATE"),
        ("datestamp", "DATE"),
        ("title", "VARCHAR"),
        ("abstract", "VARCHAR"),
        ("authors", "VARCHAR[]"),
        ("affiliations", "VARCHAR[]"),
        ("categories", "VARCHAR[]"),
        ("primary_category", "VARCHAR"),
        ("arxiv_group", "VARCHAR"),
        ("withdrawn", "BOOLEAN"),
        ("text_sha256", "VARCHAR"),
    ],
    "arxiv_paper_labels": [
        ("arxiv_id", "VARCHAR"),
        ("model_id", "VARCHAR"),
        ("label", "VARCHAR"),
        ("raw_label", "VARCHAR"),
        ("threshold", "REAL"),
        ("score", "REAL"),
        ("scores", "JSON"),
        ("labeled_at", "TIMESTAMP"),
        ("run_id", "VARCHAR"),
    ],
    "arxiv_pipeline_runs": [
        ("run_id", "VARCHAR"),
        ("interval_start", "DATE"),
        ("interval_end", "DATE"),
        ("harvested", "INTEGER"),
        ("classified", "INTEGER"),
        ("withdrawn", "INTEGER"),
        ("status", "VARCHAR"),
    ],
}


def _operator_lineage(inputs: Sequence[Any] = (), outputs: Sequence[Any] = ()) -> Any:
    from airflow.providers.openlineage.extractors import OperatorLineage

    return OperatorLineage(inputs=list(inputs), outputs=list(outputs))


def model_lineage(model_uri: str) -> Any:
    """``fetch_model``: the zip in S3 as the input dataset (namespace ``s3://bucket``, name the key)."""
    from openlineage.client.event_v2 import InputDataset

    location = S3Location.parse(model_uri)
    return _operator_lineage(inputs=[InputDataset(namespace=f"s3://{location.bucket}", name=location.key)])


def harvest_lineage(endpoint: str, sets: Sequence[str]) -> Any:
    """``harvest``: the OAI-PMH endpoint and set (``all`` for every set) as input datasets."""
    from openlineage.client.event_v2 import InputDataset

    return _operator_lineage(inputs=[InputDataset(namespace=endpoint, name=s or "all") for s in (sets or [""])])


def warehouse_namespace(url: str) -> str:
    """The OpenLineage namespace of a warehouse URL: ``duckdb://<file>`` or ``postgres://host:port`` (no credentials)."""
    if url.startswith("duckdb://"):
        return url
    host = url.split("@")[-1].split("/")[0]
    return f"postgres://{host}"


def warehouse_lineage(url: str, row_counts: Mapping[str, int]) -> Any:
    """``load_warehouse``: the tables written, each with its schema and the rows this run wrote."""
    from openlineage.client.event_v2 import OutputDataset
    from openlineage.client.facet_v2 import output_statistics_output_dataset, schema_dataset

    namespace = warehouse_namespace(url)
    outputs = []
    for table, columns in TABLE_SCHEMAS.items():
        schema = schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=name, type=kind) for name, kind in columns]
        )
        stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=int(row_counts.get(table, 0)))
        outputs.append(
            OutputDataset(namespace=namespace, name=table, facets={"schema": schema}, outputFacets={"outputStatistics": stats})
        )
    return _operator_lineage(outputs=outputs)
