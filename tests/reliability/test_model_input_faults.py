"""Untrusted model zips, each built for real by the test: one check refuses them all before any Spark work.

Every zip goes through ``model.check.open_checked`` (what fetch, ``model inspect``, ``classify`` and
``model package`` run); a few go through the S3 fetch and the command line as well.
"""

from __future__ import annotations

import io
import json
import stat
import struct
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from arxiv_labeler.cli import main
from arxiv_labeler.errors import ModelArchiveError, UnsafeArchiveError
from arxiv_labeler.model.archive import ONNX_ENTRY, ModelArchive
from arxiv_labeler.model.check import open_checked
from arxiv_labeler.model.fetch import ModelFetcher
from arxiv_labeler.model.package import write_model_zip
from arxiv_labeler.model.sequence_file import crc_bytes, sequence_file_bytes


def rewritten(source: Path, target: Path, replace: dict[str, bytes] | None = None, add: list[Any] | None = None) -> Path:
    """A copy of the model zip with entries replaced or added (``add``: (ZipInfo or name, bytes) pairs)."""
    with zipfile.ZipFile(source) as model, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in model.infolist():
            out.writestr(info, (replace or {}).get(info.filename, model.read(info)))
        for entry, data in add or []:
            out.writestr(entry, data)
    return target


def fields_part(feature: str, data: bytes) -> dict[str, bytes]:
    """A replaced ``fields/<feature>/part-00000`` with a matching ``.crc`` side file (the codec is what is tested)."""
    return {f"fields/{feature}/part-00000": data, f"fields/{feature}/.part-00000.crc": crc_bytes(data)}


def graph(tiny_zip: Path) -> Any:
    import onnx

    return onnx.load_model_from_string(ModelArchive.open(tiny_zip).onnx_bytes)


def packaged(tiny_zip: Path, path: Path, graph_bytes: bytes, labels: list[str] | None = None, **kwargs: Any) -> Path:
    archive = ModelArchive.open(tiny_zip)
    params = kwargs.pop("params", {"caseSensitive": False})
    vocabulary = kwargs.pop("vocabulary", archive.vocabulary)
    return write_model_zip(path, graph_bytes, vocabulary, labels or archive.labels, params, **kwargs)


def test_a_valid_model_passes_every_check_and_says_what_it_found(tiny_zip: Path) -> None:
    _, report = open_checked(tiny_zip)
    assert report.passed == [
        "metadata",
        "params",
        "vocabulary",
        "labels",
        "standard operator domains",
        "external data inside the model",
        "input types",
        "vocabulary fits the embedding matrix",
        "onnxruntime loads the graph",
        "logits width = labels",
    ]
    assert report.facts["logits_width"] == 3 and report.facts["embedding_rows"] == report.facts["vocabulary_size"]


# --- the zip itself -------------------------------------------------------------------------------------------


def test_a_zip_bomb_entry_is_refused_from_its_headers_before_anything_is_inflated(tiny_zip: Path, tmp_path: Path) -> None:
    bomb = rewritten(tiny_zip, tmp_path / "bomb.zip", add=[("fields/vocabulary/padding", b"\0" * (60 << 20))])
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(
        UnsafeArchiveError, match=r"inflates \d+ bytes to 62914560 \(more than 100x\); refusing a possible zip bomb"
    ):
        open_checked(bomb)
    target = tmp_path / "out"
    target.mkdir()
    from arxiv_labeler.model.extract import safe_extract

    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        safe_extract(bomb, target)
    assert list(target.iterdir()) == []  # refused before it was written out


def test_too_many_entries_are_refused(tiny_zip: Path, tmp_path: Path) -> None:
    crowded = rewritten(tiny_zip, tmp_path / "crowded.zip", add=[(f"fields/x/{i}", b"") for i in range(10_001)])
    with pytest.raises(UnsafeArchiveError, match=r"\d+ entries, more than the 10000 a model zip may hold"):
        open_checked(crowded)


def test_a_device_file_entry_is_refused(tiny_zip: Path, tmp_path: Path) -> None:
    device = zipfile.ZipInfo("fields/vocabulary/tty")
    device.external_attr = (stat.S_IFCHR | 0o666) << 16
    with pytest.raises(UnsafeArchiveError, match=r"refusing device, FIFO or socket entry 'fields/vocabulary/tty' \(mode crw-"):
        open_checked(rewritten(tiny_zip, tmp_path / "device.zip", add=[(device, b"")]))


def test_a_symbolic_link_and_a_climbing_path_are_refused(tiny_zip: Path, tmp_path: Path) -> None:
    link = zipfile.ZipInfo("fields/vocabulary/part-00009")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(UnsafeArchiveError, match="refusing symbolic link entry"):
        open_checked(rewritten(tiny_zip, tmp_path / "link.zip", add=[(link, b"/etc/passwd")]))
    with pytest.raises(UnsafeArchiveError, match="refusing entry with '..'"):
        open_checked(rewritten(tiny_zip, tmp_path / "climb.zip", add=[("fields/../../evil", b"x")]))


# --- Spark NLP's fields ---------------------------------------------------------------------------------------


def java_array_header(length: int) -> bytes:
    """A Java-serialized ``Tuple2[]`` header declaring ``length`` elements (the class descriptor Spark writes)."""
    name = b"[Lscala.Tuple2;"
    return (
        struct.pack(">HH", 0xACED, 5)
        + b"\x75\x72"
        + struct.pack(">H", len(name))
        + name
        + struct.pack(">q", 0x2ECC00DFD14FD7C0)
        + b"\x02\x00\x00\x78\x70"
        + struct.pack(">i", length)
    )


def test_an_array_length_of_2_to_the_31_fails_at_once_without_allocating(tiny_zip: Path, tmp_path: Path) -> None:
    part = sequence_file_bytes([java_array_header(2**31 - 1)])
    bad = rewritten(tiny_zip, tmp_path / "huge.zip", replace=fields_part("vocabulary", part))
    started = time.monotonic()
    with pytest.raises(
        ModelArchiveError, match=r"cannot read feature 'vocabulary': array of 2147483647 elements declared with 0 bytes"
    ):
        open_checked(bad)
    assert time.monotonic() - started < 30  # refused from the header, not after reading 2^31 elements


def test_a_negative_key_length_in_a_sequence_file_is_refused_not_looped_over(tiny_zip: Path, tmp_path: Path) -> None:
    good = sequence_file_bytes([b"x"])
    record = struct.pack(">ii", 12, -8) + struct.pack(">i", 1) + b"x"
    header = good[: len(good) - len(struct.pack(">iii", 5, 0, 1)) - 1]
    bad = rewritten(tiny_zip, tmp_path / "loop.zip", replace=fields_part("labels", header + record + b"\0" * 8))
    with pytest.raises(ModelArchiveError, match=r"key of -8 bytes in a record of 12"):
        open_checked(bad)


def test_arrays_nested_past_any_model_s_depth_are_refused(tiny_zip: Path, tmp_path: Path) -> None:
    name = b"[[Ljava.lang.Object;"
    nested = (
        b"\x75\x72" + struct.pack(">H", len(name)) + name + struct.pack(">q", 1) + b"\x02\x00\x00\x78\x70" + struct.pack(">i", 1)
    )
    stream = struct.pack(">HH", 0xACED, 5) + nested + (b"\x75\x71" + struct.pack(">i", 0x7E0000) + struct.pack(">i", 1)) * 200
    bad = rewritten(tiny_zip, tmp_path / "deep.zip", replace=fields_part("labels", sequence_file_bytes([stream])))
    with pytest.raises(ModelArchiveError, match="nested more than 64 deep"):
        open_checked(bad)


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("maxSentenceLength", "128", r"param maxSentenceLength must be an int, got '128'"),
        ("maxSentenceLength", 0, r"param maxSentenceLength must be an int in 1..512, got 0"),
        ("maxSentenceLength", 513, r"param maxSentenceLength must be an int in 1..512, got 513"),
        ("caseSensitive", "false", r"param caseSensitive must be a boolean \(true or false\), got 'false'"),
        ("activation", "relu", r"param activation must be 'softmax' or 'sigmoid', got 'relu'"),
        ("threshold", 1.5, r"param threshold must be a number in \[0, 1\], got 1.5"),
        ("threshold", True, r"param threshold must be a number in \[0, 1\], got True"),
    ],
)
def test_metadata_params_are_typed_as_spark_nlp_types_them(
    tiny_zip: Path, tmp_path: Path, param: str, value: Any, message: str
) -> None:
    with zipfile.ZipFile(tiny_zip) as model:
        metadata = json.loads(model.read("metadata/part-00000"))
    metadata["paramMap"][param] = value
    bad = rewritten(tiny_zip, tmp_path / "params.zip", replace={"metadata/part-00000": (json.dumps(metadata) + "\n").encode()})
    with pytest.raises(ModelArchiveError, match=message):
        open_checked(bad)


# --- the ONNX graph -------------------------------------------------------------------------------------------


def test_an_operator_from_a_custom_op_library_is_refused_naming_its_domain(tiny_zip: Path, tmp_path: Path) -> None:
    model = graph(tiny_zip)
    model.graph.node[3].domain = "com.example.customops"
    model.opset_import.add(domain="com.example.customops", version=1)
    bad = packaged(tiny_zip, tmp_path / "custom.zip", model.SerializeToString())
    with pytest.raises(
        ModelArchiveError, match=r"uses operator '\w+' of domain 'com.example.customops', which needs a custom-op library"
    ):
        open_checked(bad)


def external_data_model(tiny_zip: Path, tmp_path: Path, location: str) -> tuple[bytes, bytes]:
    """The tiny graph with its tensors in an external file named ``location``: (graph bytes, data bytes)."""
    import onnx

    model = graph(tiny_zip)
    saved = tmp_path / "external" / "model.onnx"
    saved.parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(model, str(saved), save_as_external_data=True, location="weights.bin", size_threshold=1024)
    reloaded = onnx.load(str(saved), load_external_data=False)
    for tensor in reloaded.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    return reloaded.SerializeToString(), (saved.parent / "weights.bin").read_bytes()


@pytest.mark.parametrize("location", ["../../weights.bin", "/etc/passwd", "missing.bin"])
def test_external_data_outside_the_model_is_refused(tiny_zip: Path, tmp_path: Path, location: str) -> None:
    graph_bytes, data = external_data_model(tiny_zip, tmp_path, location)
    bad = packaged(tiny_zip, tmp_path / "external.zip", graph_bytes, graph_files={"weights.bin": data})
    with pytest.raises(ModelArchiveError, match=rf"stores tensors in '{location}'"):
        open_checked(bad)


def test_external_data_inside_the_model_is_used_and_scores_as_the_inline_graph(tiny_zip: Path, tmp_path: Path) -> None:
    from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier

    graph_bytes, data = external_data_model(tiny_zip, tmp_path, "weights.bin")
    split = packaged(tiny_zip, tmp_path / "split.zip", graph_bytes, graph_files={"weights.bin": data})
    archive, report = open_checked(split)
    assert report.facts["external_data"] == ["weights.bin"]
    texts = ["deep learning network graph", "quantum electron spin field"]
    inline = OnnxSequenceClassifier.from_archive(ModelArchive.open(tiny_zip)).classify(texts)
    assert OnnxSequenceClassifier.from_archive(archive).classify(texts) == inline


def test_logits_wider_or_narrower_than_the_labels_are_refused(tiny_zip: Path, tmp_path: Path) -> None:
    four = packaged(
        tiny_zip, tmp_path / "four.zip", ModelArchive.open(tiny_zip).onnx_bytes, labels=["cs", "math", "physics", "q-bio"]
    )
    with pytest.raises(ModelArchiveError, match=r"the graph gives 3 logits per document but the model has 4 labels"):
        open_checked(four)


def test_a_vocabulary_larger_than_the_embedding_matrix_is_refused(tiny_zip: Path, tmp_path: Path) -> None:
    vocabulary = dict(ModelArchive.open(tiny_zip).vocabulary)
    vocabulary["zzz"] = len(vocabulary)
    bad = packaged(tiny_zip, tmp_path / "vocab.zip", ModelArchive.open(tiny_zip).onnx_bytes, vocabulary=vocabulary)
    with pytest.raises(
        ModelArchiveError, match=rf"the vocabulary has ids up to {len(vocabulary) - 1} but the embedding matrix only"
    ):
        open_checked(bad)


def test_inputs_the_engine_cannot_feed_are_refused(tiny_zip: Path, tmp_path: Path) -> None:
    model = graph(tiny_zip)
    for graph_input in model.graph.input:
        if graph_input.name == "attention_mask":
            graph_input.type.tensor_type.elem_type = 1  # float
    bad = packaged(tiny_zip, tmp_path / "types.zip", model.SerializeToString())
    with pytest.raises(ModelArchiveError, match=r"graph inputs \['attention_mask'\] must be int64 tensors"):
        open_checked(bad)


# --- the same check on every path -----------------------------------------------------------------------------


def broken_graph_zip(tiny_zip: Path, tmp_path: Path) -> Path:
    model = graph(tiny_zip)
    model.graph.node[3].domain = "com.example.customops"
    return packaged(tiny_zip, tmp_path / "custom.zip", model.SerializeToString())


def test_fetch_refuses_it_before_caching(moto_endpoint: str, tiny_zip: Path, tmp_path: Path) -> None:
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    client.create_bucket(Bucket="untrusted")
    client.upload_file(str(broken_graph_zip(tiny_zip, tmp_path)), "untrusted", "custom.zip")
    with pytest.raises(ModelArchiveError, match=r"s3://untrusted/custom.zip: .*domain 'com.example.customops'"):
        ModelFetcher(client, tmp_path / "cache").fetch("s3://untrusted/custom.zip")
    assert not list((tmp_path / "cache").rglob("manifest.json"))


def test_inspect_and_classify_refuse_a_local_zip_in_one_line_before_spark(
    tiny_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = str(broken_graph_zip(tiny_zip, tmp_path))
    assert main(["model", "inspect", bad]) == 2
    err = capsys.readouterr().err
    assert "arxiv-labeler model: error:" in err and "com.example.customops" in err and "Traceback" not in err
    records = tmp_path / "r.jsonl"
    records.write_text("")
    started = time.monotonic()
    assert main(["classify", "--model", bad, "--input", str(records), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("arxiv-labeler classify: error:") and "com.example.customops" in err
    assert time.monotonic() - started < 20  # no Spark session was started (that takes longer here)


def test_package_removes_a_zip_that_fails_the_check(tiny_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = graph(tiny_zip)
    model.graph.node[3].domain = "com.example.customops"
    onnx_path = tmp_path / "custom.onnx"
    onnx_path.write_bytes(model.SerializeToString())
    archive = ModelArchive.open(tiny_zip)
    (tmp_path / "vocab.txt").write_text("\n".join(sorted(archive.vocabulary, key=archive.vocabulary.__getitem__)) + "\n")
    (tmp_path / "labels.txt").write_text("\n".join(archive.labels) + "\n")
    argv = [
        "model",
        "package",
        "--onnx",
        str(onnx_path),
        "--vocab",
        str(tmp_path / "vocab.txt"),
        "--labels",
        str(tmp_path / "labels.txt"),
    ]
    assert main([*argv, "--param", "caseSensitive=false", "-o", str(tmp_path / "out.zip")]) == 2
    assert "com.example.customops" in capsys.readouterr().err and not (tmp_path / "out.zip").exists()


def test_the_inner_graph_zip_is_held_to_the_same_limits(tiny_zip: Path, tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as graph_zip:
        graph_zip.writestr("model.onnx", ModelArchive.open(tiny_zip).onnx_bytes)
        graph_zip.writestr("padding.bin", b"\0" * (60 << 20))
    bad = rewritten(tiny_zip, tmp_path / "inner.zip", replace={ONNX_ENTRY: inner.getvalue()})
    with pytest.raises(ModelArchiveError, match=rf"{ONNX_ENTRY}: entry 'padding.bin' inflates .* refusing a possible zip bomb"):
        open_checked(bad)
