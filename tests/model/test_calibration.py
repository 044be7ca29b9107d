"""quantize=auto's calibration sample: a zip's own ``calibration/abstracts.jsonl`` (checked), else the shipped 276 papers."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from arxiv_labeler import settings
from arxiv_labeler.cli import main
from arxiv_labeler.errors import ModelArchiveError
from arxiv_labeler.model.archive import CALIBRATION_ENTRY, ModelArchive
from arxiv_labeler.model.calibration import (
    MAX_CALIBRATION_PAPERS,
    calibration_sample,
    model_calibration,
    parse_calibration,
    shipped_calibration,
)
from arxiv_labeler.model.check import check_model
from arxiv_labeler.model.package import write_model_zip

PROJECT = Path(__file__).resolve().parents[2]


def papers(count: int) -> bytes:
    """``count`` JSON lines of papers, as a zip's calibration entry holds them."""
    rows = [
        {"id": f"x{i}", "title": f"deep learning {i}", "abstract": "we show a graph model", "extra": [1]} for i in range(count)
    ]
    return ("\n".join(json.dumps(r) for r in rows) + "\n").encode()


def with_calibration(tiny_zip: Path, target: Path, data: bytes) -> Path:
    """The tiny model re-packaged with ``data`` as its calibration entry."""
    archive = ModelArchive.open(tiny_zip)
    return write_model_zip(
        target, archive.onnx_bytes, archive.vocabulary, archive.labels, {"caseSensitive": False}, calibration=data
    )


def test_the_shipped_sample_is_the_committed_day_found_through_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.ENV_CALIBRATION_SAMPLE, raising=False)
    assert (
        settings.calibration_sample_path()
        == PROJECT / "plugins" / "arxiv_labeler" / "devstack" / "replay" / "arxiv-2008-11-26.jsonl"
    )
    sample = shipped_calibration()
    assert sample is not None and sample.source == "shipped" and len(sample.texts) == 276
    assert sample.texts[0].startswith("Calculation of prompt diphoton production cross sections at Tevatron and LHC energies A")
    assert len(sample.sha256) == 64 and sample.describe().startswith("276 papers of shipped ")


def test_an_installed_package_points_at_its_sample_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "sample.jsonl"
    own.write_bytes(papers(120))
    monkeypatch.setenv(settings.ENV_CALIBRATION_SAMPLE, str(own))
    sample = shipped_calibration()
    assert sample is not None and len(sample.texts) == 120 and sample.location == str(own)
    monkeypatch.setenv(settings.ENV_CALIBRATION_SAMPLE, str(tmp_path / "missing.jsonl"))
    assert shipped_calibration() is None


def test_a_zip_carries_its_own_sample_which_wins_and_is_checked(tiny_zip: Path, tmp_path: Path) -> None:
    zipped = with_calibration(tiny_zip, tmp_path / "m.zip", papers(150))
    archive = ModelArchive.open(zipped)
    with zipfile.ZipFile(zipped) as entries:
        assert CALIBRATION_ENTRY in entries.namelist()
    sample = calibration_sample(archive)
    assert sample is not None and sample.source == "model zip" and sample.location == CALIBRATION_ENTRY
    assert len(sample.texts) == 150 and sample.texts[0] == "deep learning 0 we show a graph model"
    report = check_model(archive)
    assert "calibration sample" in report.passed and report.facts["calibration_papers"] == 150
    assert check_model(ModelArchive.open(tiny_zip)).facts["calibration_papers"] is None  # optional
    assert model_calibration(ModelArchive.open(tiny_zip)) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (papers(150) + b"{not json\n", r"calibration/abstracts.jsonl line 151: not JSON"),
        (papers(150) + b'["a list"]\n', r"line 151: expected a JSON object with title and abstract, got list"),
        (
            papers(150) + b'{"title": 3, "abstract": "x"}\n',
            r"line 151: title and abstract must be strings, got \{'title': 'int'\}",
        ),
        (papers(150) + b"[" * 100_000 + b"\n", r"line 151: not JSON \(RecursionError\)"),
        (b"\xff\xfe" + papers(150), r"not UTF-8"),
        (papers(99), r"99 papers with text; a calibration sample needs 100 to 2000"),
        (papers(MAX_CALIBRATION_PAPERS + 1), r"2001 papers with text"),
    ],
)
def test_a_malformed_sample_is_refused_by_the_model_check(tiny_zip: Path, tmp_path: Path, data: bytes, message: str) -> None:
    zipped = with_calibration(tiny_zip, tmp_path / "bad.zip", data)
    with pytest.raises(ModelArchiveError, match=message) as refused:
        check_model(ModelArchive.open(zipped))
    assert "bad@sha256:" in str(refused.value)  # names the model


def test_blank_lines_and_papers_without_text_are_not_counted() -> None:
    data = papers(100) + b"\n\n" + json.dumps({"title": "", "abstract": None}).encode() + b"\n"
    assert len(parse_calibration(data, "s")) == 100


def test_model_package_stores_a_calibration_sample(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = tmp_path / "abstracts.jsonl"
    sample.write_bytes(papers(100))
    out = tmp_path / "p.zip"
    files = [f"--onnx={tiny_dir / 'tiny.onnx'}", f"--vocab={tiny_dir / 'vocab.txt'}", f"--labels={tiny_dir / 'labels.txt'}"]
    assert main(["model", "package", *files, f"--calibration={sample}", "-o", str(out)]) == 0
    assert model_calibration(ModelArchive.open(out)) is not None
    sample.write_bytes(papers(3))
    assert main(["model", "package", *files, f"--calibration={sample}", "-o", str(tmp_path / "q.zip")]) == 2
    assert "3 papers with text" in capsys.readouterr().err and not (tmp_path / "q.zip").exists()  # refused, not left behind
