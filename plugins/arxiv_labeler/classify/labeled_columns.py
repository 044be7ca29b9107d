"""The labeled output's columns: the engine's ``class`` annotations flattened to label, score and scores."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

OUTPUT_COLUMNS = [
    "arxiv_id",
    "text_sha256",
    "text_source",
    "class",
    "label",
    "score",
    "scores",
    "model_id",
    "labeled_at",
]


def _top_annotation(class_column: Column) -> Column:
    """The annotation whose own label has the highest score (the only one for softmax)."""

    def own_score(annotation: Column) -> Column:
        return annotation["metadata"][annotation["result"]].cast("float")

    # aggregate, not array_max: Spark cannot order structs that hold a map.
    return F.when(
        F.size(class_column) > 0,
        F.aggregate(
            class_column,
            class_column[0],
            lambda best, a: F.when(own_score(a) > own_score(best), a).otherwise(best),
        ),
    )


def flatten_class_column(engine_output: DataFrame, model_id: str, labeled_at: str) -> DataFrame:
    """Add the warehouse's flat columns (label, score, scores map, model id, time) from `class`."""
    top = _top_annotation(F.col("class"))
    scores = F.map_from_entries(
        F.transform(
            F.filter(F.map_entries(top["metadata"]), lambda e: e["key"] != "sentence"),
            lambda e: F.struct(e["key"], e["value"].cast("float")),
        )
    )
    return (
        engine_output.withColumn("label", top["result"])
        .withColumn("scores", F.when(top.isNotNull(), scores))
        .withColumn("score", F.col("scores")[F.col("label")])
        .withColumn("model_id", F.lit(model_id))
        .withColumn("labeled_at", F.to_timestamp(F.lit(labeled_at)))
    )
