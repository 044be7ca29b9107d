"""What every engine returns: Spark NLP's ``class`` annotations beside the papers' ids (both engines, one contract)."""

from __future__ import annotations

from pyspark.sql.types import (
    ArrayType,
    FloatType,
    IntegerType,
    MapType,
    StringType,
    StructField,
    StructType,
)

# Spark NLP's Annotation struct, as the `class` column holds it.
ANNOTATION_TYPE = StructType(
    [
        StructField("annotatorType", StringType(), True),
        StructField("begin", IntegerType(), False),
        StructField("end", IntegerType(), False),
        StructField("result", StringType(), True),
        StructField("metadata", MapType(StringType(), StringType(), True), True),
        StructField("embeddings", ArrayType(FloatType(), False), True),
    ]
)
CLASS_COLUMN_TYPE = ArrayType(ANNOTATION_TYPE, True)

# What an engine returns before flattening: the columns it was given, but the text, plus `class`.
ENGINE_OUTPUT_SCHEMA = StructType(
    [
        StructField("arxiv_id", StringType(), False),
        StructField("text_sha256", StringType(), False),
        StructField("text_source", StringType(), False),
        StructField("class", CLASS_COLUMN_TYPE, True),
    ]
)
