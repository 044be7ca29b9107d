"""Spark NLP model zips: fetch from S3, read and validate, write."""

from arxiv_labeler.model.archive import ModelArchive, ModelArchiveError, ModelParams

__all__ = ["ModelArchive", "ModelArchiveError", "ModelParams"]
