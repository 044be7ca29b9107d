"""The papers on which ``quantize=auto`` compares a model's int8 graph with its fp32 graph.

A model zip may carry its own sample as ``calibration/abstracts.jsonl`` (``CALIBRATION_ENTRY``):
JSON lines, one paper each, an object with string ``title`` and ``abstract`` (other fields are
ignored, so Kaggle-snapshot lines and harvested records both serve), 100 to 2,000 papers. A zip
without one is measured on the project's shipped sample (``settings.calibration_sample_path``:
the 276 real papers of 2008-11-26). A malformed entry fails the model check, naming the line.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from arxiv_labeler import settings
from arxiv_labeler.errors import ModelArchiveError
from arxiv_labeler.model.archive import CALIBRATION_ENTRY, ModelArchive
from arxiv_labeler.text import paper_text

MIN_CALIBRATION_PAPERS = 100  # fewer cannot tell 99.5% agreement from 99%
MAX_CALIBRATION_PAPERS = 2000  # the sample is scored twice at fetch: it must stay a matter of seconds to minutes
MAX_CALIBRATION_BYTES = 32 * 1024**2  # 2,000 abstracts are about 2 MB


@dataclass(frozen=True)
class CalibrationSample:
    """Paper texts (title + abstract, as the classify stage builds them), where they came from and their digest."""

    texts: tuple[str, ...]
    source: str  # "model zip" (its CALIBRATION_ENTRY) or "shipped" (the project's sample)
    location: str  # the entry's name in the zip, or the shipped file's path
    sha256: str  # of the JSONL bytes: part of the int8 decision's cache key

    def describe(self) -> str:
        """One line for logs and decisions: ``276 papers of shipped .../arxiv-2008-11-26.jsonl``."""
        return f"{len(self.texts)} papers of {self.source} {self.location}"


def parse_calibration(data: bytes, name: str) -> tuple[str, ...]:
    """The paper texts of a calibration JSONL; blank lines and papers with neither title nor abstract are skipped.

    Raises:
        ModelArchiveError: naming ``name`` and the line: not UTF-8 JSON objects, a non-string title or
            abstract, more than ``MAX_CALIBRATION_BYTES``, or fewer than 100 or more than 2,000 papers.
    """
    if len(data) > MAX_CALIBRATION_BYTES:
        raise ModelArchiveError(f"{name}: {len(data)} bytes, more than the {MAX_CALIBRATION_BYTES} a calibration sample may have")
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ModelArchiveError(f"{name}: not UTF-8 ({exc})") from None
    texts = [text for number, line in enumerate(lines, 1) if line.strip() and (text := _paper(line, f"{name} line {number}"))]
    if not MIN_CALIBRATION_PAPERS <= len(texts) <= MAX_CALIBRATION_PAPERS:
        raise ModelArchiveError(
            f"{name}: {len(texts)} papers with text; a calibration sample needs "
            f"{MIN_CALIBRATION_PAPERS} to {MAX_CALIBRATION_PAPERS} (JSON lines with title and abstract)"
        )
    return tuple(texts)


def _paper(line: str, where: str) -> str:
    """A line's paper text (title + abstract), or "" when it has neither."""
    try:
        entry = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser's stack
        raise ModelArchiveError(f"{where}: not JSON ({type(exc).__name__})") from None
    if not isinstance(entry, dict):
        raise ModelArchiveError(f"{where}: expected a JSON object with title and abstract, got {type(entry).__name__}")
    fields = {key: entry.get(key) for key in ("title", "abstract")}
    wrong = {key: type(value).__name__ for key, value in fields.items() if value is not None and not isinstance(value, str)}
    if wrong:
        raise ModelArchiveError(f"{where}: title and abstract must be strings, got {wrong}")
    return paper_text(fields["title"], fields["abstract"])[0]


def model_calibration(archive: ModelArchive) -> CalibrationSample | None:
    """The zip's own sample, or None when it carries none.

    Raises:
        ModelArchiveError: the entry is malformed (see :func:`parse_calibration`).
    """
    data = archive.calibration_bytes
    if data is None:
        return None
    texts = parse_calibration(data, f"{archive.model_id}: {CALIBRATION_ENTRY}")
    return CalibrationSample(texts, "model zip", CALIBRATION_ENTRY, hashlib.sha256(data).hexdigest())


def shipped_calibration(path: Path | None = None) -> CalibrationSample | None:
    """The project's sample (``settings.calibration_sample_path()``), or None when the file is not there.

    Raises:
        ModelArchiveError: the file is not a calibration sample.
    """
    path = path or settings.calibration_sample_path()
    if not path.is_file():
        return None
    data = path.read_bytes()
    return CalibrationSample(parse_calibration(data, str(path)), "shipped", str(path), hashlib.sha256(data).hexdigest())


def calibration_sample(archive: ModelArchive) -> CalibrationSample | None:
    """The sample ``quantize=auto`` measures ``archive`` on: its own when it carries one, else the shipped one."""
    return model_calibration(archive) or shipped_calibration()
