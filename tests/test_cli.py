"""The command line: subcommands, JSON outputs, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
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
    model_help = build_parser()._subparsers._group_actions[0].choices["model"].format_help()  # type: ignore[union-attr]
    assert "inspect" in model_help and "package" in model_help and "demo" in model_help


def test_model_inspect_prints_json(tiny_zip: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["model", "inspect", str(tiny_zip)]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["labels"] == ["cs", "math", "physics"] and described["onnx"]["outputs"] == ["logits"]


def test_model_inspect_shows_quantize_autos_decision(tiny_zip: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["model", "inspect", str(tiny_zip)]) == 0
    decision = json.loads(capsys.readouterr().out)["quantize_auto"]
    assert (decision["quantize"], decision["papers"], decision["sample_source"]) == ("none", 276, "shipped")
    assert decision["agreement"] < 0.995 and decision["reason"].endswith("; fp32")
    assert main(["model", "inspect", "--no-int8-check", str(tiny_zip)]) == 0
    assert "the fetch task decides it" in json.loads(capsys.readouterr().out)["quantize_auto"]


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


def test_harvest_command_against_the_replay_server(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from arxiv_labeler.devstack.oai_replay import OaiReplayServer, ReplayArchive

    from tests.conftest import DEMO_JSONL

    with OaiReplayServer(ReplayArchive.from_file(DEMO_JSONL), page_size=3) as server:
        code = main(
            [
                "harvest",
                "--from",
                "2026-11-19",
                "--until",
                "2026-11-20",
                "--endpoint",
                server.url,
                "--delay",
                "0.01",
                "--set",
                "physics",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] == 5 and len(summary["partitions"]) == 2  # physics papers: 2 on the 19th, 3 on the 20th


def test_harvest_command_refuses_a_fast_delay_against_arxiv(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["harvest", "--from", "2026-11-19", "--until", "2026-11-19", "--delay", "1", "--out", str(tmp_path)]) == 2
    assert "below arXiv's limit of 3.0 s" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.spark
def test_classify_command_on_a_snapshot_jsonl(tiny_zip: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    from tests.conftest import DEMO_JSONL

    out = tmp_path / "labeled"
    assert (
        main(
            [
                "classify",
                "--model",
                str(tiny_zip),
                "--input",
                str(DEMO_JSONL),
                "--output",
                str(out),
                "--engine",
                "auto",
                "--master",
                "local[2]",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert (summary["classified"], summary["engine"], summary["title_only"]) == (24, "onnx", 1)
    table = pq.read_table(out)
    assert table.num_rows == 24 and set(table.column("label").to_pylist()) <= {"cs", "math", "physics"}


def test_model_inspect_s3_without_credentials_reads_anonymously(
    tiny_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
        ).create_bucket(Bucket="public")
        boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
        ).upload_file(str(tiny_zip), "public", "m/tiny.zip", ExtraArgs={"ACL": "public-read"})  # like the public model bucket
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("ARXIV_LABELER_DATA_DIR", str(tmp_path / "data"))
        assert main(["model", "inspect", "s3://public/m/tiny.zip"]) == 0
        assert json.loads(capsys.readouterr().out)["labels"] == ["cs", "math", "physics"]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["harvest", "--from", "2011-2-3", "--until", "2011-02-03", "--out", "x"], "--from must be a date YYYY-MM-DD"),
        (["harvest", "--from", "2011-02-03", "--until", "2011-02-30", "--out", "x"], "--until is not a real date"),
        (["report", "--from", "3/2/2011"], "--from must be a date YYYY-MM-DD"),
    ],
)
def test_dates_must_be_iso(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_unknown_set_is_refused_before_any_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # arXiv's real endpoint: a request would fail here (no network), so the refusal must come first
    argv = ["harvest", "--from", "2026-11-19", "--until", "2026-11-19", "--set", "cs:nonexistent", "--out", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown arXiv set 'cs:nonexistent'" in err and "cs:cs" in err
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.spark
def test_a_failed_classify_job_is_one_line_naming_the_cause(tiny_zip: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import DEMO_JSONL

    (tmp_path / "taken").write_text("a file where the output's folder should be")
    argv = ["classify", "--model", str(tiny_zip), "--input", str(DEMO_JSONL), "--output", str(tmp_path / "taken" / "out")]
    assert main([*argv, "--master", "local[1]"]) == 2
    err = capsys.readouterr().err
    error = err.rstrip("\n").rsplit("\n", 1)[-1].rsplit("\r", 1)[-1]  # after the progress bar, on stderr too
    assert error.startswith("arxiv-labeler classify: error: the classify job failed:") and "Traceback" not in err
    assert "nothing was published" in error


def test_an_unreachable_warehouse_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--warehouse", "postgresql://postgres@127.0.0.1:1/nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("arxiv-labeler report: error:") and "the connection to PostgreSQL failed" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_every_error_the_cli_prints_as_one_line_is_a_project_error() -> None:
    from arxiv_labeler import errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert all(issubclass(c, errors.ArxivLabelerError) for c in classes)
    assert issubclass(errors.RunConfigError, errors.PermanentError) and not issubclass(
        errors.ModelFetchError, errors.PermanentError
    )
